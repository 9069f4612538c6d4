// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>A named tensor of a layer (parameter or buffer) with its TorchSharp shape.</summary>
/// <param name="Name">The tensor name inside the layer (<c>kernel</c>, <c>bias</c>, <c>gamma</c>, <c>moving_mean</c>, …).</param>
/// <param name="Shape">The TorchSharp (channels-first) shape.</param>
/// <param name="Trainable">Whether the tensor is a trainable parameter (false for moving statistics).</param>
internal sealed record TensorSpec(string Name, long[] Shape, bool Trainable)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));
}

/// <summary>
/// A validated layer definition: shapes are already inferred, the module is created at Build.
/// <see cref="Options"/> is the layer's options object with the resolved name; it is what Save writes.
/// </summary>
internal sealed record LayerSpec(
    string Name,
    LayerKind Kind,
    LayerShape InputShape,
    LayerShape OutputShape,
    object Options,
    IReadOnlyList<TensorSpec> Tensors,
    Func<Generator?, LayerModule> CreateModule)
{
    public long ParameterCount => Tensors.Sum(t => t.ElementCount);

    public long TrainableParameterCount => Tensors.Where(t => t.Trainable).Sum(t => t.ElementCount);
}
