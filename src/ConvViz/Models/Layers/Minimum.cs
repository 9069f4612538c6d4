// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// Takes the element-wise minimum of its inputs (Keras <c>layer_minimum</c> / <c>Minimum</c>). Every input has the same
/// shape, which is the output's.
/// </summary>
[LayerType("Minimum", "minimum")]
public sealed record MinimumOptions : MergeOptions
{
    internal static MinimumOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Chain("Min", inputs);

    internal override LayerDefinition Define(LayerContext context) =>
        new(SameShape(context), () => new ElementwiseMergeModule(context.Name, ElementwiseMerge.Minimum));
}
