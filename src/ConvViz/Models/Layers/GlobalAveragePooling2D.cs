// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Onnx;
using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>Global average pooling (Keras <c>layer_global_average_pooling_2d</c> / <c>GlobalAveragePooling2D</c>): each channel's average over the feature map.</summary>
[LayerType("GlobalAveragePooling2D", "global_average_pooling2d")]
public sealed record GlobalAveragePooling2DOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    internal static GlobalAveragePooling2DOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Node("Flatten", [onnx.Node("GlobalAveragePool", inputs)], OnnxGraph.Int("axis", 1));

    internal override LayerDefinition Define(LayerContext context) =>
        new(new LayerShape(context.RequireSpatial().Channels), () => new GlobalAvgPool2DModule(context.Name));
}

/// <summary>Global average pooling over the spatial axes: [N, C, H, W] to [N, C].</summary>
internal sealed class GlobalAvgPool2DModule(string name) : LayerModule(name)
{
    public override Tensor forward(Tensor input) => input.mean([2, 3]);
}
