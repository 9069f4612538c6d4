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

    /// <summary>
    /// Gets explicit padding (top, bottom, left, right), as ONNX's <c>pads</c>, in place of <see cref="Padding"/> (which
    /// must then stay <see cref="Padding.Valid"/>); <see langword="null"/> for <see cref="Padding"/>. Each value must be
    /// smaller than the pool along its axis, so that every window holds at least one real cell. Padded cells never count:
    /// max pooling pads with −∞, and average pooling divides by the number of real cells in each window (ONNX's
    /// <c>count_include_pad = 0</c>, the default, and what TensorFlow does for 'same').
    /// </summary>
    /// <value>The default value is <see langword="null"/>. Stored in the model file only when set.</value>
    public Padding2D? ExplicitPadding { get; init; }

    /// <summary>Gets the strides in effect: <see cref="Strides"/> or the pool size.</summary>
    public Size2D EffectiveStrides => Strides ?? PoolSize;

    internal override void WriteFields(LayerWriter w)
    {
        w.Size("pool_size", PoolSize);
        w.NullableSize("strides", Strides);
        w.Enum("padding", Padding);
        if (ExplicitPadding is { } explicitPadding)
        {
            w.Ints("explicit_padding", explicitPadding.ToArray());
        }
    }

    /// <summary>Reads the optional explicit padding (absent from files written before it existed).</summary>
    private protected static Padding2D? ReadExplicitPadding(LayerReader r) =>
        r.Has("explicit_padding") ? Padding2D.FromArray(r.Ints("explicit_padding")) : null;

    /// <summary>The shape rule of window pooling; the caller creates the module from the window and its padding.</summary>
    private protected LayerDefinition DefineWindow(LayerContext context, Func<Size2D, Size2D, WindowPadding, LayerModule> createModule)
    {
        var input = context.RequireSpatial();
        var (pool, strides) = (PoolSize, EffectiveStrides);
        if (ExplicitPadding is { } p && (p.Top >= pool.Height || p.Bottom >= pool.Height || p.Left >= pool.Width || p.Right >= pool.Width))
        {
            throw context.OptionsError(
                $"ExplicitPadding {p} must be smaller than the {pool} pool along each axis, or some windows would hold only padding. Reduce the padding, or pad with ZeroPadding2D first");
        }

        var (outH, outW, padding) = context.Window(pool, strides, 1, Padding, ExplicitPadding);
        if (outH < 1 || outW < 1)
        {
            throw context.ShapeError(
                $"a {pool} pool does not fit a {input.Height}×{input.Width} input; the output would be {LayerContext.FormatShape(outH, outW, input.Channels)}. Use a smaller pool or Padding.Same");
        }

        return new LayerDefinition(new LayerShape(checked((int)outH), checked((int)outW), input.Channels), () => createModule(pool, strides, padding));
    }
}
