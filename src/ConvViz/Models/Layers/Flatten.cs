// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Flattens feature maps to one vector per sample (Keras <c>layer_flatten</c> / <c>Flatten</c>), in Keras'
/// channels-last order by default, or channels-first (PyTorch's and ONNX's order) with <see cref="DataFormat"/>.
/// </summary>
[LayerType("Flatten", "flatten")]
public sealed record FlattenOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the order in which a feature map's values are laid out in the vector (Keras <c>data_format</c>).</summary>
    /// <value>The default value is <see cref="DataFormat.ChannelsLast"/>: (H, W, C) order, channel fastest, as Keras. <see cref="DataFormat.ChannelsFirst"/> gives (C, H, W) order, as ONNX <c>Flatten</c> and PyTorch.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="Layers.DataFormat"/>.</exception>
    public DataFormat DataFormat { get; init { ThrowIfUndefined(value, nameof(DataFormat)); field = value; } }

    internal static FlattenOptions Read(LayerReader r) =>
        new() { DataFormat = r.Has("data_format") ? r.Enum<DataFormat>("data_format") : DataFormat.ChannelsLast };

    internal override void WriteFields(LayerWriter w)
    {
        // Written only when not the default, so files of channels-last models keep their bytes.
        if (DataFormat != DataFormat.ChannelsLast)
        {
            w.Enum("data_format", DataFormat);
        }
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        !onnx.Layer.Input.IsSpatial ? inputs[0]
        : DataFormat == DataFormat.ChannelsFirst ? onnx.Node("Flatten", [inputs[0]], OnnxGraph.Int("axis", 1))
        : onnx.Node("Flatten", [onnx.ToChannelsLast(inputs[0])], OnnxGraph.Int("axis", 1)); // Keras flattens channels-last: (H, W, C) order.

    internal override LayerDefinition Define(LayerContext context)
    {
        var size = context.Input.Dimensions.Aggregate(Int128.One, (product, d) => product * d);
        if (size > int.MaxValue)
        {
            throw context.ShapeError($"the flattened size {size} exceeds {int.MaxValue}");
        }

        return new LayerDefinition(new LayerShape((int)size), () => new FlattenModule(context.Name, DataFormat));
    }
}

/// <summary>Flattens [N, C, H, W] to [N, H·W·C] in Keras' channels-last order (channel fastest), so weights match Keras, or to [N, C·H·W] channels-first.</summary>
internal sealed class FlattenModule(string name, DataFormat format) : LayerModule(name)
{
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || format == DataFormat.ChannelsFirst)
        {
            return input.flatten(1);
        }

        using var channelsLast = input.permute(0, 2, 3, 1);
        return channelsLast.flatten(1);
    }
}
