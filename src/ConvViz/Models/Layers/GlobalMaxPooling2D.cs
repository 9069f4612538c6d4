// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Onnx;
using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>Global maximum pooling (Keras <c>layer_global_max_pooling_2d</c> / <c>GlobalMaxPooling2D</c>): each channel's maximum over the feature map.</summary>
[LayerType("GlobalMaxPooling2D", "global_max_pooling2d")]
public sealed record GlobalMaxPooling2DOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    internal static GlobalMaxPooling2DOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Node("Flatten", [onnx.Node("GlobalMaxPool", inputs)], OnnxGraph.Int("axis", 1));

    internal override LayerDefinition Define(LayerContext context) =>
        new(new LayerShape(context.RequireSpatial().Channels), () => new GlobalMaxPool2DModule(context.Name));
}

/// <summary>Global max pooling over the spatial axes: [N, C, H, W] to [N, C].</summary>
internal sealed class GlobalMaxPool2DModule(string name) : LayerModule(name)
{
    public override Tensor forward(Tensor input) => input.amax([2, 3]);
}
