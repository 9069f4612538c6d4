// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz;

/// <summary>
/// The shape of one image or feature map without the batch axis, given Keras-style as
/// (height, width, channels). Tensors inside ConvViz are laid out channels-first: [N, C, H, W].
/// </summary>
public readonly record struct ImageShape
{
    /// <summary>Creates a shape from Keras-order dimensions.</summary>
    /// <param name="height">Height in pixels; at least 1.</param>
    /// <param name="width">Width in pixels; at least 1.</param>
    /// <param name="channels">Number of channels; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is zero or negative.</exception>
    public ImageShape(int height, int width, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        Height = height;
        Width = width;
        Channels = channels;
    }

    /// <summary>Gets the height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the number of channels.</summary>
    public int Channels { get; }

    /// <summary>Gets the number of values in one sample (height × width × channels).</summary>
    public long ElementCount => (long)Height * Width * Channels;

    /// <summary>Returns the channels-first shape of a batch of <paramref name="batchSize"/> samples: [N, C, H, W].</summary>
    /// <param name="batchSize">The batch size.</param>
    /// <returns>The dimensions in TorchSharp order.</returns>
    public long[] ToBatchShape(long batchSize) => [batchSize, Channels, Height, Width];

    /// <summary>Formats the shape as Keras prints it: <c>(None, 148, 148, 8)</c>.</summary>
    /// <returns>The Keras-order string with the batch axis as <c>None</c>.</returns>
    public override string ToString() => $"(None, {Height}, {Width}, {Channels})";
}
