// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Options of a max or average pooling layer, as Keras' <c>layer_max_pooling_2d</c> / <c>layer_average_pooling_2d</c> arguments.</summary>
public sealed class Pooling2DOptions
{
    /// <summary>Gets the pool height and width; <c>2</c> or <c>(2, 3)</c>.</summary>
    /// <value>The default value is 2 × 2, as Keras.</value>
    public Size2D PoolSize { get; init { Conv2DOptions.ThrowIfEmpty(value, nameof(PoolSize)); field = value; } } = 2;

    /// <summary>Gets the strides; <see langword="null"/> means the pool size, as Keras' <c>strides = NULL</c>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Size2D? Strides { get; init { if (value is { } v) { Conv2DOptions.ThrowIfEmpty(v, nameof(Strides)); } field = value; } }

    /// <summary>Gets the padding.</summary>
    /// <value>The default value is <see cref="Padding.Valid"/>.</value>
    public Padding Padding { get; init { Conv2DOptions.ThrowIfUndefined(value); field = value; } } = Padding.Valid;

    /// <summary>Gets the layer name; <see langword="null"/> for the next automatic name.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; init => field = LayerNames.Validate(value, nameof(Name)); }

    /// <summary>Gets the strides in effect: <see cref="Strides"/> or the pool size.</summary>
    public Size2D EffectiveStrides => Strides ?? PoolSize;
}
