// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// The state of one optimizer: its settings, base learning rate, step count and one set of slot tensors (moments,
/// velocities) per parameter, on the parameters' device. It owns the slot tensors; the parameters are not owned.
/// </summary>
internal sealed class OptimizerState : IDisposable
{
    private Parameter[] _parameters;
    private bool _disposed;

    public OptimizerState(OptimizerOptions options, IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        Options = options;
        LearningRate = options.EffectiveLearningRate;
        ParameterNames = parameters.Select(p => p.Name).ToArray();
        _parameters = parameters.Select(p => p.Parameter).ToArray();
        SlotNames = SlotNamesOf(options);
        Slots = new Tensor[_parameters.Length][];
        try
        {
            for (var i = 0; i < _parameters.Length; i++)
            {
                Slots[i] = new Tensor[SlotNames.Count];
                for (var s = 0; s < SlotNames.Count; s++)
                {
                    Slots[i][s] = zeros_like(_parameters[i]).DetachFromDisposeScope();
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Gets the settings.</summary>
    public OptimizerOptions Options { get; }

    /// <summary>Gets or sets the base learning rate (validated by the optimizer).</summary>
    public double LearningRate { get; set; }

    /// <summary>Gets or sets the number of updates applied.</summary>
    public long Iterations { get; set; }

    /// <summary>Gets the names of the parameters (<c>layer.kernel</c>, …), in update order.</summary>
    public IReadOnlyList<string> ParameterNames { get; private set; }

    /// <summary>Gets the parameters, in update order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Gets the names of the slots each parameter has (<c>m</c>, <c>u</c>, …).</summary>
    public IReadOnlyList<string> SlotNames { get; }

    /// <summary>Gets the slot tensors: <c>Slots[parameter][slot]</c>.</summary>
    public Tensor[][] Slots { get; private set; }

    public bool IsDisposed => _disposed;

    /// <summary>The slots of an optimizer kind, in the order the update rule uses them.</summary>
    public static IReadOnlyList<string> SlotNamesOf(OptimizerOptions options) => options.Kind switch
    {
        OptimizerKind.Adamax => ["m", "u"],
        OptimizerKind.Adam => ["m", "v"],
        OptimizerKind.Sgd => options.Momentum > 0 ? ["velocity"] : [],
        OptimizerKind.RmsProp => options.Momentum > 0 ? ["velocity", "momentum"] : ["velocity"],
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "Unknown optimizer."),
    };

    /// <summary>
    /// Points the state at new parameter objects (TorchSharp replaces them when a module moves to another device) and
    /// moves the slots to each parameter's device, keeping their values.
    /// </summary>
    public void Rebind(IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!parameters.Select(p => p.Name).SequenceEqual(ParameterNames, StringComparer.Ordinal))
        {
            throw new InvalidOperationException("The model's parameters changed; the optimizer state no longer matches them.");
        }

        var rebound = parameters.Select(p => p.Parameter).ToArray();
        for (var i = 0; i < rebound.Length; i++)
        {
            var parameter = rebound[i];
            for (var s = 0; s < Slots[i].Length; s++)
            {
                var slot = Slots[i][s];
                if (slot.device_type != parameter.device_type || slot.device_index != parameter.device_index)
                {
                    var moved = slot.to(parameter.device).DetachFromDisposeScope();
                    Slots[i][s].Dispose();
                    Slots[i][s] = moved;
                }
            }
        }

        _parameters = rebound;
    }

    /// <summary>
    /// Makes the state cover exactly <paramref name="parameters"/> (the model's trainable parameters after layers were
    /// frozen or unfrozen), in their order: a parameter it already covers keeps its slots (on the parameter's
    /// device already), a new one gets zero slots, and the slots of parameters no longer listed are freed. The step count and
    /// learning rate are kept: the bias corrections of Adam and Adamax use the optimizer's one step count for every
    /// parameter, as Keras' <c>optimizer.iterations</c>.
    /// </summary>
    /// <returns>Whether the parameter list changed.</returns>
    public bool Sync(IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (parameters.Select(p => p.Name).SequenceEqual(ParameterNames, StringComparer.Ordinal))
        {
            Rebind(parameters);
            return false;
        }

        var old = new Dictionary<string, Tensor[]>(StringComparer.Ordinal);
        for (var i = 0; i < ParameterNames.Count; i++)
        {
            old[ParameterNames[i]] = Slots[i];
        }

        var slots = new Tensor[parameters.Count][];
        var created = new List<Tensor>();
        try
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                var (name, parameter) = parameters[i];
                if (old.Remove(name, out var kept))
                {
                    // Kept slots are on their parameter's device already: Model.To rebinds them whenever the parameters move.
                    slots[i] = kept;
                }
                else
                {
                    slots[i] = new Tensor[SlotNames.Count];
                    for (var s = 0; s < SlotNames.Count; s++)
                    {
                        slots[i][s] = zeros_like(parameter).DetachFromDisposeScope();
                        created.Add(slots[i][s]);
                    }
                }
            }
        }
        catch
        {
            foreach (var tensor in created)
            {
                tensor.Dispose();
            }

            throw;
        }

        foreach (var dropped in old.Values.SelectMany(t => t))
        {
            dropped.Dispose();
        }

        Slots = slots;
        ParameterNames = parameters.Select(p => p.Name).ToArray();
        _parameters = parameters.Select(p => p.Parameter).ToArray();
        return true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var slots in Slots)
        {
            foreach (var tensor in slots ?? [])
            {
                tensor?.Dispose();
            }
        }
    }
}
