// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace ConvViz.Training;

/// <summary>
/// An optimizer that applies Keras' update rules (not TorchSharp's) to a set of parameters, with Keras' legacy
/// <c>decay</c>. It owns its state tensors (moments, velocities); dispose it when done.
/// </summary>
/// <remarks>
/// <para>Update rules, with t = <see cref="Iterations"/> + 1 and lr = <see cref="CurrentLearningRate"/>:</para>
/// <list type="bullet">
/// <item><description>Adamax: m = β1·m + (1 − β1)·g; u = max(β2·u, |g|); w −= lr·m / ((1 − β1^t)(u + ε)).</description></item>
/// <item><description>Adam: m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; w −= lr·√(1 − β2^t)/(1 − β1^t) · m / (√v + ε).</description></item>
/// <item><description>SGD: without momentum w −= lr·g; with momentum v = μ·v − lr·g and w += v, or w += μ·v − lr·g with Nesterov.</description></item>
/// <item><description>RMSprop (Keras 3): a = ρ·a + (1 − ρ)·g²; Δ = lr·g / √(a + ε); with momentum b = μ·b + Δ and w −= b, else w −= Δ.</description></item>
/// </list>
/// <para>Not thread-safe. <see cref="Step"/> either updates every parameter or, if it throws before the first write, none.</para>
/// </remarks>
public sealed class KerasOptimizer : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[][] _state;
    private bool _disposed;

    /// <summary>Creates an optimizer over <paramref name="parameters"/> (not owned) with the given settings.</summary>
    /// <param name="options">The optimizer settings.</param>
    /// <param name="parameters">The parameters to update; those that do not require gradients are ignored.</param>
    public KerasOptimizer(OptimizerOptions options, IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(parameters);
        NativeBackend.EnsureLoaded();
        Options = options;
        LearningRate = options.EffectiveLearningRate;
        _parameters = parameters.Where(p => p.requires_grad).ToArray();
        var slots = options.Kind switch
        {
            OptimizerKind.Adamax or OptimizerKind.Adam => 2,
            OptimizerKind.Sgd => options.Momentum > 0 ? 1 : 0,
            OptimizerKind.RmsProp => options.Momentum > 0 ? 2 : 1,
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "Unknown optimizer."),
        };
        _state = new Tensor[_parameters.Length][];
        for (var i = 0; i < _parameters.Length; i++)
        {
            _state[i] = new Tensor[slots];
            for (var s = 0; s < slots; s++)
            {
                _state[i][s] = zeros_like(_parameters[i]).DetachFromDisposeScope();
            }
        }
    }

    /// <summary>Gets the settings this optimizer was created with.</summary>
    public OptimizerOptions Options { get; }

    /// <summary>Gets the optimizer kind.</summary>
    public OptimizerKind Kind => Options.Kind;

    /// <summary>
    /// Gets or sets the base learning rate (before the legacy decay). Callbacks such as <see cref="ReduceLROnPlateau"/> change it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public double LearningRate
    {
        get;
        set
        {
            if (!(value > 0 && double.IsFinite(value)))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be positive and finite.");
            }

            field = value;
        }
    }

    /// <summary>Gets the number of updates applied so far (Keras' <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; private set; }

    /// <summary>Gets the learning rate the next step uses: <see cref="LearningRate"/> / (1 + decay · <see cref="Iterations"/>).</summary>
    public double CurrentLearningRate => LearningRate / (1 + (Options.Decay * Iterations));

    /// <summary>Gets the number of parameters this optimizer updates.</summary>
    public int ParameterCount => _parameters.Length;

    /// <summary>Clears the gradients of all parameters.</summary>
    public void ZeroGrad()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        foreach (var p in _parameters)
        {
            p.grad?.zero_();
        }
    }

    /// <summary>Applies one update from the parameters' current gradients; parameters without a gradient are skipped but still count toward t.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var lr = CurrentLearningRate;
        var t = Iterations + 1;
        var o = Options;
        for (var i = 0; i < _parameters.Length; i++)
        {
            var w = _parameters[i];
            var g = w.grad;
            if (g is null)
            {
                continue;
            }

            var state = _state[i];
            switch (o.Kind)
            {
                case OptimizerKind.Adamax:
                {
                    var m = state[0];
                    var u = state[1];
                    m.mul_(o.Beta1).add_(g, 1 - o.Beta1);
                    u.copy_(maximum(u * o.Beta2, g.abs()));
                    var stepSize = lr / (1 - Math.Pow(o.Beta1, t));
                    w.sub_(m / (u + o.Epsilon) * stepSize);
                    break;
                }

                case OptimizerKind.Adam:
                {
                    var m = state[0];
                    var v = state[1];
                    m.mul_(o.Beta1).add_(g, 1 - o.Beta1);
                    v.mul_(o.Beta2).add_(g.square(), 1 - o.Beta2);
                    var alpha = lr * Math.Sqrt(1 - Math.Pow(o.Beta2, t)) / (1 - Math.Pow(o.Beta1, t));
                    w.sub_(m / (v.sqrt() + o.Epsilon) * alpha);
                    break;
                }

                case OptimizerKind.Sgd when o.Momentum > 0:
                {
                    var v = state[0];
                    v.mul_(o.Momentum).sub_(g * lr);
                    if (o.Nesterov)
                    {
                        w.add_((v * o.Momentum) - (g * lr));
                    }
                    else
                    {
                        w.add_(v);
                    }

                    break;
                }

                case OptimizerKind.Sgd:
                    w.sub_(g * lr);
                    break;

                case OptimizerKind.RmsProp:
                {
                    var a = state[0];
                    a.mul_(o.Rho).add_(g.square(), 1 - o.Rho);
                    var increment = g * lr / (a + o.Epsilon).sqrt();
                    if (o.Momentum > 0)
                    {
                        var b = state[1];
                        b.mul_(o.Momentum).add_(increment);
                        w.sub_(b);
                    }
                    else
                    {
                        w.sub_(increment);
                    }

                    break;
                }
            }
        }

        Iterations = t;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var slots in _state)
        {
            foreach (var tensor in slots)
            {
                tensor.Dispose();
            }
        }
    }
}
