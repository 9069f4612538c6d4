// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>The arguments shared by Keras' 2-D window pooling layers (<see cref="MaxPooling2DOptions"/>, <see cref="AveragePooling2DOptions"/>).</summary>
public abstract record Pooling2DOptions : LayerOptions
{
    private protected Pooling2DOptions()
    {
    }

    /// <summary>Gets the pool height and width; <c>2</c> or <c>(2, 3)</c>.</summary>
    /// <value>The default value is 2 × 2, as Keras.</value>
    public Size2D PoolSize { get; init { ThrowIfEmpty(value, nameof(PoolSize)); field = value; } } = 2;

    /// <summary>Gets the strides; <see langword="null"/> means the pool size, as Keras' <c>strides = NULL</c>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Size2D? Strides { get; init { if (value is { } v) { ThrowIfEmpty(v, nameof(Strides)); } field = value; } }

    /// <summary>Gets the padding.</summary>
    /// <value>The default value is <see cref="Padding.Valid"/>.</value>
    public Padding Padding { get; init { ThrowIfUndefined(value, nameof(Padding)); field = value; } } = Padding.Valid;

    /// <summary>Gets the strides in effect: <see cref="Strides"/> or the pool size.</summary>
    public Size2D EffectiveStrides => Strides ?? PoolSize;

    internal override void WriteFields(LayerWriter w)
    {
        w.Size("pool_size", PoolSize);
        w.NullableSize("strides", Strides);
        w.Enum("padding", Padding);
    }

    /// <summary>The shape rule of window pooling; the caller creates the module from the window and its padding.</summary>
    private protected LayerDefinition DefineWindow(LayerContext context, Func<Size2D, Size2D, WindowPadding, LayerModule> createModule)
    {
        var input = context.RequireSpatial();
        var (pool, strides) = (PoolSize, EffectiveStrides);
        var outH = ConvArithmetic.OutputSize(input.Height, pool.Height, strides.Height, 1, Padding);
        var outW = ConvArithmetic.OutputSize(input.Width, pool.Width, strides.Width, 1, Padding);
        if (outH < 1 || outW < 1)
        {
            throw context.ShapeError(
                $"a {pool} pool does not fit a {input.Height}×{input.Width} input; the output would be {LayerContext.FormatShape(outH, outW, input.Channels)}. Use a smaller pool or Padding.Same");
        }

        var padding = context.WindowPaddingFor(pool, strides, 1, Padding);
        return new LayerDefinition(new LayerShape(checked((int)outH), checked((int)outW), input.Channels), () => createModule(pool, strides, padding));
    }
}
