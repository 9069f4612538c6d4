// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>A 2-D max pooling layer (Keras <c>layer_max_pooling_2d</c> / <c>MaxPooling2D</c>) with its arguments.</summary>
[LayerType("MaxPooling2D", "max_pooling2d")]
public sealed record MaxPooling2DOptions : Pooling2DOptions
{
    internal static MaxPooling2DOptions Read(LayerReader r) =>
        new() { PoolSize = r.Size("pool_size"), Strides = r.NullableSize("strides"), Padding = r.Enum<Padding>("padding") };

    internal override LayerDefinition Define(LayerContext context) =>
        DefineWindow(context, (pool, strides, padding) => new MaxPool2DModule(context.Name, pool, strides, padding));
}

/// <summary>Max pooling; 'same' padding pads with −∞ so padded positions never win.</summary>
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

/// <content>MaxPooling2D.</content>
public static partial class SequentialBuilderExtensions
{
    /// <summary>Adds 2 × 2 max pooling (Keras <c>layer_max_pooling_2d()</c>).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map or is smaller than the pool.</exception>
    public static SequentialBuilder AddMaxPooling2D(this SequentialBuilder builder) => builder.Add(new MaxPooling2DOptions());

    /// <summary>Adds max pooling with a square pool (strides equal to the pool).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="poolSize">The pool size; at least 1.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The pool size is below 1.</exception>
    /// <exception cref="ArgumentException">The input is not a feature map or is smaller than the pool.</exception>
    public static SequentialBuilder AddMaxPooling2D(this SequentialBuilder builder, int poolSize) =>
        builder.Add(() => new MaxPooling2DOptions { PoolSize = poolSize }, nameof(poolSize));

    /// <summary>Adds max pooling with all of Keras' arguments.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">The options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The options do not fit the input, or the name is taken.</exception>
    public static SequentialBuilder AddMaxPooling2D(this SequentialBuilder builder, MaxPooling2DOptions options) => builder.Add(options);
}
