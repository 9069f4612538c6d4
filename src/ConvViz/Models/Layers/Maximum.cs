// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// Takes the element-wise maximum of its inputs (Keras <c>layer_maximum</c> / <c>Maximum</c>). Every input has the same
/// shape, which is the output's.
/// </summary>
[LayerType("Maximum", "maximum")]
public sealed record MaximumOptions : MergeOptions
{
    internal static MaximumOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Chain("Max", inputs);

    internal override LayerDefinition Define(LayerContext context) =>
        new(SameShape(context), () => new ElementwiseMergeModule(context.Name, ElementwiseMerge.Maximum));
}
