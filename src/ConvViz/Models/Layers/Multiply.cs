// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// Multiplies its inputs element-wise (Keras <c>layer_multiply</c> / <c>Multiply</c>), as in attention and
/// squeeze-and-excitation gates. Every input has the same shape, which is the output's.
/// </summary>
[LayerType("Multiply", "multiply")]
public sealed record MultiplyOptions : MergeOptions
{
    internal static MultiplyOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Chain("Mul", inputs);

    internal override LayerDefinition Define(LayerContext context) =>
        new(SameShape(context), () => new ElementwiseMergeModule(context.Name, ElementwiseMerge.Multiply));
}
