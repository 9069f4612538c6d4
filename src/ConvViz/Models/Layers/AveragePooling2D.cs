// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>A 2-D average pooling layer (Keras <c>layer_average_pooling_2d</c> / <c>AveragePooling2D</c>) with its arguments.</summary>
[LayerType("AveragePooling2D", "average_pooling2d")]
public sealed record AveragePooling2DOptions : Pooling2DOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    internal static AveragePooling2DOptions Read(LayerReader r) =>
        new() { PoolSize = r.Size("pool_size"), Strides = r.NullableSize("strides"), Padding = r.Enum<Padding>("padding"), ExplicitPadding = ReadExplicitPadding(r) };

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Pool("AveragePool", inputs[0], this);

    internal override LayerDefinition Define(LayerContext context) =>
        DefineWindow(context, (pool, strides, padding) => new AvgPool2DModule(context.Name, pool, strides, padding));
}

/// <summary>
/// Average pooling; with padding ('same' or explicit) each output averages only the real (unpadded) positions, as
/// TensorFlow and ONNX's <c>count_include_pad = 0</c>.
/// </summary>
internal sealed class AvgPool2DModule : LayerModule
{
    private readonly (long, long) _pool;
    private readonly (long, long) _strides;
    private readonly long[]? _padding;

    public AvgPool2DModule(string name, Size2D pool, Size2D strides, WindowPadding padding)
        : base(name)
    {
        _pool = (pool.Height, pool.Width);
        _strides = (strides.Height, strides.Width);
        _padding = padding.IsZero ? null : padding.ToPadArgument();
    }

    public override Tensor forward(Tensor input)
    {
        if (_padding is null)
        {
            return nn.functional.avg_pool2d(input, _pool, _strides);
        }

        using var scope = NewDisposeScope();
        var sums = nn.functional.avg_pool2d(nn.functional.pad(input, _padding), _pool, _strides);
        var mask = ones([1, 1, input.shape[2], input.shape[3]], input.dtype, input.device);
        var counts = nn.functional.avg_pool2d(nn.functional.pad(mask, _padding), _pool, _strides);
        return sums.div(counts).MoveToOuterDisposeScope();
    }
}
