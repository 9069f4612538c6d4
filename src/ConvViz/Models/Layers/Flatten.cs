// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Onnx;
using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>Flattens feature maps to one vector per sample in Keras' channels-last order (Keras <c>layer_flatten</c> / <c>Flatten</c>).</summary>
[LayerType("Flatten", "flatten")]
public sealed record FlattenOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    internal static FlattenOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Layer.InputShape.IsSpatial
        ? onnx.Node("Flatten", [onnx.ToChannelsLast(inputs[0])], OnnxGraph.Int("axis", 1)) // Keras flattens channels-last: (H, W, C) order.
        : inputs[0];

    internal override LayerDefinition Define(LayerContext context)
    {
        var size = context.Input.Dimensions.Aggregate(Int128.One, (product, d) => product * d);
        if (size > int.MaxValue)
        {
            throw context.ShapeError($"the flattened size {size} exceeds {int.MaxValue}");
        }

        return new LayerDefinition(new LayerShape((int)size), () => new FlattenModule(context.Name));
    }
}

/// <summary>Flattens [N, C, H, W] to [N, H·W·C] in Keras' channels-last order (channel fastest), so weights match Keras.</summary>
internal sealed class FlattenModule(string name) : LayerModule(name)
{
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4)
        {
            return input.flatten(1);
        }

        using var channelsLast = input.permute(0, 2, 3, 1);
        return channelsLast.flatten(1);
    }
}
