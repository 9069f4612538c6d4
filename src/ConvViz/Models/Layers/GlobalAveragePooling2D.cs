// Copyright (c) ConvViz contributors. Licensed under the MIT License.

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

    /// <summary>Gets whether the output keeps the spatial axes as a 1 × 1 feature map (Keras <c>keepdims</c>), as ONNX <c>GlobalAveragePool</c> does.</summary>
    /// <value>The default value is <see langword="false"/>: one vector of channels per sample.</value>
    public bool KeepDims { get; init; }

    internal static GlobalAveragePooling2DOptions Read(LayerReader r) => new() { KeepDims = r.Has("keepdims") && r.Bool("keepdims") };

    internal override void WriteFields(LayerWriter w)
    {
        // Written only when set, so files of models without it keep their bytes.
        if (KeepDims)
        {
            w.Bool("keepdims", true);
        }
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        KeepDims ? onnx.Node("GlobalAveragePool", inputs) : onnx.Node("Flatten", [onnx.Node("GlobalAveragePool", inputs)], OnnxGraph.Int("axis", 1));

    internal override LayerDefinition Define(LayerContext context) =>
        new(KeepDims ? new LayerShape(1, 1, context.RequireSpatial().Channels) : new LayerShape(context.RequireSpatial().Channels), () => new GlobalAvgPool2DModule(context.Name, KeepDims));
}

/// <summary>Global average pooling over the spatial axes: [N, C, H, W] to [N, C].</summary>
internal sealed class GlobalAvgPool2DModule(string name, bool keepDims) : LayerModule(name)
{
    public override Tensor forward(Tensor input) => input.mean([2, 3], keepdim: keepDims);
}
