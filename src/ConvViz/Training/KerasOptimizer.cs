// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using TorchSharp;
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
/// <para>The optimizer of a model (<see cref="TrainingExtensions.GetOptimizer"/>, <see cref="TrainingContext.Optimizer"/>)
/// is a view of state the model owns: the model frees it, moves it with <see cref="Model.To"/>, resets it on
/// <see cref="Model.Compile(CompileOptions)"/> and saves it with <see cref="ModelSaveOptions.IncludeTrainingState"/>.</para>
/// </remarks>
public sealed class KerasOptimizer : IDisposable
{
    private readonly OptimizerState _state;
    private readonly bool _ownsState;

    /// <summary>Creates an optimizer over <paramref name="parameters"/> (not owned) with the given settings; it owns its state, so dispose it.</summary>
    /// <param name="options">The optimizer settings.</param>
    /// <param name="parameters">The parameters to update; those that do not require gradients are ignored.</param>
    public KerasOptimizer(OptimizerOptions options, IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(parameters);
        NativeBackend.EnsureLoaded();
        var named = parameters.Where(p => p.requires_grad).Select((p, i) => ("p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), p)).ToArray();
        _state = new OptimizerState(options, named);
        _ownsState = true;
    }

    /// <summary>A view of state owned by a model; disposing the view does nothing.</summary>
    internal KerasOptimizer(OptimizerState state)
    {
        _state = state;
        _ownsState = false;
    }

    /// <summary>Gets the settings this optimizer was created with.</summary>
    public OptimizerOptions Options => _state.Options;

    /// <summary>Gets the optimizer kind.</summary>
    public OptimizerKind Kind => Options.Kind;

    /// <summary>
    /// Gets or sets the base learning rate (before the legacy decay). Callbacks such as <see cref="ReduceLROnPlateau"/> change it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public double LearningRate
    {
        get => _state.LearningRate;
        set
        {
            if (!(value > 0 && double.IsFinite(value)))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be positive and finite.");
            }

            _state.LearningRate = value;
        }
    }

    /// <summary>Gets the number of updates applied so far (Keras' <c>optimizer.iterations</c>).</summary>
    public long Iterations => _state.Iterations;

    /// <summary>Gets the learning rate the next step uses: <see cref="LearningRate"/> / (1 + decay · <see cref="Iterations"/>).</summary>
    public double CurrentLearningRate => LearningRate / (1 + (Options.Decay * Iterations));

    /// <summary>Gets the number of parameters this optimizer updates.</summary>
    public int ParameterCount => _state.Parameters.Count;

    internal OptimizerState State => _state;

    /// <summary>Clears the gradients of all parameters.</summary>
    public void ZeroGrad()
    {
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        foreach (var p in _state.Parameters)
        {
            p.grad?.zero_();
        }
    }

    /// <summary>Applies one update from the parameters' current gradients; parameters without a gradient are skipped but still count toward t.</summary>
    public void Step()
    {
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var lr = CurrentLearningRate;
        var t = Iterations + 1;
        var o = Options;

        // Every scalar is held in a local for the whole step: a temporary Scalar that nothing references may be
        // finalized (freeing its native value) while the native call that uses it still runs.
        using var beta1 = o.Beta1.ToScalar();
        using var oneMinusBeta1 = (1 - o.Beta1).ToScalar();
        using var beta2 = o.Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - o.Beta2).ToScalar();
        using var epsilon = o.Epsilon.ToScalar();
        using var momentum = o.Momentum.ToScalar();
        using var rho = o.Rho.ToScalar();
        using var oneMinusRho = (1 - o.Rho).ToScalar();
        using var learningRate = lr.ToScalar();
        using var adamaxStep = (lr / (1 - Math.Pow(o.Beta1, t))).ToScalar();
        using var adamStep = (lr * Math.Sqrt(1 - Math.Pow(o.Beta2, t)) / (1 - Math.Pow(o.Beta1, t))).ToScalar();
        var parameters = _state.Parameters;
        for (var i = 0; i < parameters.Count; i++)
        {
            var w = parameters[i];
            var g = w.grad;
            if (g is null)
            {
                continue;
            }

            var state = _state.Slots[i];
            switch (o.Kind)
            {
                case OptimizerKind.Adamax:
                {
                    var m = state[0];
                    var u = state[1];
                    m.mul_(beta1).add_(g, oneMinusBeta1);
                    u.copy_(maximum(u.mul(beta2), g.abs()));
                    w.sub_(m.div(u.add(epsilon, Scalars.One)).mul(adamaxStep));
                    break;
                }

                case OptimizerKind.Adam:
                {
                    var m = state[0];
                    var v = state[1];
                    m.mul_(beta1).add_(g, oneMinusBeta1);
                    v.mul_(beta2).add_(g.pow(Scalars.Two), oneMinusBeta2);
                    w.sub_(m.div(v.sqrt().add(epsilon, Scalars.One)).mul(adamStep));
                    break;
                }

                case OptimizerKind.Sgd when o.Momentum > 0:
                {
                    var v = state[0];
                    v.mul_(momentum).sub_(g.mul(learningRate));
                    if (o.Nesterov)
                    {
                        w.add_(v.mul(momentum).sub(g.mul(learningRate)), Scalars.One);
                    }
                    else
                    {
                        w.add_(v, Scalars.One);
                    }

                    break;
                }

                case OptimizerKind.Sgd:
                    w.sub_(g.mul(learningRate));
                    break;

                case OptimizerKind.RmsProp:
                {
                    var a = state[0];
                    a.mul_(rho).add_(g.pow(Scalars.Two), oneMinusRho);
                    var increment = g.mul(learningRate).div(a.add(epsilon, Scalars.One).sqrt());
                    if (o.Momentum > 0)
                    {
                        var b = state[1];
                        b.mul_(momentum).add_(increment, Scalars.One);
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

        _state.Iterations = t;
    }

    /// <summary>Frees the state of an optimizer created with the public constructor; for a model's optimizer it does nothing (the model owns the state).</summary>
    public void Dispose()
    {
        if (_ownsState)
        {
            _state.Dispose();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_state.IsDisposed, this);
}
