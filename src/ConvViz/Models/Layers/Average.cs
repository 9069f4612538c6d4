// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// Averages its inputs element-wise (Keras <c>layer_average</c> / <c>Average</c>): their sum divided by their number.
/// Every input has the same shape, which is the output's.
/// </summary>
[LayerType("Average", "average")]
public sealed record AverageOptions : MergeOptions
{
    internal static AverageOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Node("Div", [onnx.Chain("Add", inputs), onnx.Scalar("count", inputs.Count)]);

    internal override LayerDefinition Define(LayerContext context) =>
        new(SameShape(context), () => new ElementwiseMergeModule(context.Name, ElementwiseMerge.Average));
}
