// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// Explicit padding of a convolution or pooling window, in rows above and below and columns left and right of the
/// input, for models converted from ONNX or CNTK, whose <c>pads</c> need not be Keras' <c>"valid"</c> or
/// <c>"same"</c>. Set it as the layer's <c>ExplicitPadding</c> (Conv2D, DepthwiseConv2D, SeparableConv2D and the
/// window poolings); it replaces <see cref="Padding"/>, which must stay <see cref="Padding.Valid"/>.
/// </summary>
/// <remarks>
/// The output length along an axis is ⌊(n + before + after − extent) / stride⌋ + 1, as ONNX computes it. Convolutions
/// pad with zeros. Max pooling pads with −∞, so padded cells never win; average pooling divides each window's sum by
/// the number of real (unpadded) cells in it, as ONNX's <c>count_include_pad = 0</c>, the default.
/// </remarks>
public readonly record struct Padding2D
{
    /// <summary>Creates explicit padding.</summary>
    /// <param name="top">Rows added above; at least 0.</param>
    /// <param name="bottom">Rows added below; at least 0.</param>
    /// <param name="left">Columns added on the left; at least 0.</param>
    /// <param name="right">Columns added on the right; at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative.</exception>
    public Padding2D(int top, int bottom, int left, int right)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfNegative(bottom);
        ArgumentOutOfRangeException.ThrowIfNegative(left);
        ArgumentOutOfRangeException.ThrowIfNegative(right);
        (Top, Bottom, Left, Right) = (top, bottom, left, right);
    }

    /// <summary>Gets the rows added above.</summary>
    public int Top { get; }

    /// <summary>Gets the rows added below.</summary>
    public int Bottom { get; }

    /// <summary>Gets the columns added on the left.</summary>
    public int Left { get; }

    /// <summary>Gets the columns added on the right.</summary>
    public int Right { get; }

    /// <summary>Formats the padding as <c>(top 1, bottom 2, left 0, right 1)</c>.</summary>
    /// <returns>The formatted padding.</returns>
    public override string ToString() => $"(top {Top}, bottom {Bottom}, left {Left}, right {Right})";

    /// <summary>The values in file order: top, bottom, left, right.</summary>
    internal int[] ToArray() => [Top, Bottom, Left, Right];

    /// <summary>Reads the file order (top, bottom, left, right).</summary>
    internal static Padding2D FromArray(IReadOnlyList<int> values) =>
        values.Count == 4 ? new(values[0], values[1], values[2], values[3]) : throw new ArgumentException("Explicit padding has four values: top, bottom, left, right.", nameof(values));
}
