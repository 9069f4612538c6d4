// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Training;

/// <summary>A detached copy of a model's parameters and buffers (its state dictionary) that can be copied back.</summary>
internal sealed class WeightSnapshot : IDisposable
{
    private readonly Dictionary<string, Tensor> _values;

    private WeightSnapshot(Dictionary<string, Tensor> values) => _values = values;

    public static WeightSnapshot Take(Model model)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in model.Module.state_dict())
        {
            values[name] = tensor.detach().clone().DetachFromDisposeScope();
        }

        return new WeightSnapshot(values);
    }

    public void Restore(Model model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, tensor) in model.Module.state_dict())
        {
            tensor.copy_(_values[name]);
        }
    }

    public void Dispose()
    {
        foreach (var tensor in _values.Values)
        {
            tensor.Dispose();
        }

        _values.Clear();
    }
}
