// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// Subtracts its second input from its first, element-wise (Keras <c>layer_subtract</c> / <c>Subtract</c>): exactly two
/// inputs of one shape, which is the output's.
/// </summary>
[LayerType("Subtract", "subtract")]
public sealed record SubtractOptions : MergeOptions
{
    internal override int MinInputs => 2;

    internal override int MaxInputs => 2;

    internal static SubtractOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Node("Sub", [inputs[0], inputs[1]]);

    internal override LayerDefinition Define(LayerContext context) =>
        new(SameShape(context), () => new ElementwiseMergeModule(context.Name, ElementwiseMerge.Subtract));
}
