// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics.CodeAnalysis;

namespace ConvViz.Models.Layers;

/// <summary>
/// A height × width pair for kernel sizes, strides, pool sizes and dilation rates. Converts implicitly from an
/// <see cref="int"/> (a square window, like Keras' <c>kernel_size = 3</c>) and from a tuple
/// (<c>(3, 5)</c>, like Keras' <c>kernel_size = c(3, 5)</c>).
/// </summary>
public readonly record struct Size2D
{
    /// <summary>Creates a size.</summary>
    /// <param name="height">The height; at least 1.</param>
    /// <param name="width">The width; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is zero or negative.</exception>
    public Size2D(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Height = height;
        Width = width;
    }

    /// <summary>Gets the height (rows).</summary>
    public int Height { get; }

    /// <summary>Gets the width (columns).</summary>
    public int Width { get; }

    /// <summary>Gets a value indicating whether this is the default, unset value (0 × 0).</summary>
    public bool IsEmpty => Height == 0;

    /// <summary>Creates a square size.</summary>
    /// <param name="size">The height and width; at least 1.</param>
    [SuppressMessage("Usage", "CA2225", Justification = "The constructor is the named alternative.")]
    public static implicit operator Size2D(int size) => new(size, size);

    /// <summary>Creates a size from a (height, width) tuple.</summary>
    /// <param name="size">The height and width; each at least 1.</param>
    [SuppressMessage("Usage", "CA2225", Justification = "The constructor is the named alternative.")]
    public static implicit operator Size2D((int Height, int Width) size) => new(size.Height, size.Width);

    /// <summary>Formats the size as <c>3×5</c>.</summary>
    /// <returns>The formatted size.</returns>
    public override string ToString() => $"{Height}×{Width}";
}
