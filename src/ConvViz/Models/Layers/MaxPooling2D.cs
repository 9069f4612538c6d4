// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>A 2-D max pooling layer (Keras <c>layer_max_pooling_2d</c> / <c>MaxPooling2D</c>) with its arguments.</summary>
[LayerType("MaxPooling2D", "max_pooling2d")]
public sealed record MaxPooling2DOptions : Pooling2DOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    internal static MaxPooling2DOptions Read(LayerReader r) =>
        new() { PoolSize = r.Size("pool_size"), Strides = r.NullableSize("strides"), Padding = r.Enum<Padding>("padding"), ExplicitPadding = ReadExplicitPadding(r) };

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Pool("MaxPool", inputs[0], this);

    internal override LayerDefinition Define(LayerContext context) =>
        DefineWindow(context, (pool, strides, padding) => new MaxPool2DModule(context.Name, pool, strides, padding));
}

/// <summary>Max pooling; padding ('same' or explicit) pads with −∞ so padded positions never win, as TensorFlow and ONNX.</summary>
internal sealed class MaxPool2DModule : LayerModule
{
    private readonly long[] _pool;
    private readonly long[] _strides;
    private readonly long[]? _padding;

    public MaxPool2DModule(string name, Size2D pool, Size2D strides, WindowPadding padding)
        : base(name)
    {
        _pool = [pool.Height, pool.Width];
        _strides = [strides.Height, strides.Width];
        _padding = padding.IsZero ? null : padding.ToPadArgument();
    }

    public override Tensor forward(Tensor input)
    {
        using var padded = _padding is null ? null : nn.functional.pad(input, _padding, value: double.NegativeInfinity);
        return nn.functional.max_pool2d(padded ?? input, _pool, _strides);
    }
}
