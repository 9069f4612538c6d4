// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// Adds its inputs element-wise (Keras <c>layer_add</c> / <c>Add</c>): the skip connection of residual networks.
/// Every input has the same shape, which is the output's.
/// </summary>
[LayerType("Add", "add")]
public sealed record AddOptions : MergeOptions
{
    internal static AddOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Chain("Add", inputs);

    internal override LayerDefinition Define(LayerContext context) =>
        new(SameShape(context), () => new ElementwiseMergeModule(context.Name, ElementwiseMerge.Add));
}
