// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// The output shape of a layer without the batch axis, in Keras order: (height, width, channels) for feature maps,
/// (features) after Flatten or Dense. ConvViz tensors are channels-first; <see cref="ToTorchShape"/> converts.
/// </summary>
public sealed class LayerShape : IEquatable<LayerShape>
{
    private readonly int[] _dimensions;

    /// <summary>Creates a shape from Keras-order dimensions (batch axis excluded).</summary>
    /// <param name="dimensions">One dimension (features) or three (height, width, channels), each at least 1.</param>
    /// <exception cref="ArgumentException">The rank is not 1 or 3, or a dimension is not positive.</exception>
    public LayerShape(params int[] dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Length is not (1 or 3))
        {
            throw new ArgumentException($"A layer shape has 1 (features) or 3 (height, width, channels) dimensions, not {dimensions.Length}.", nameof(dimensions));
        }

        foreach (var d in dimensions)
        {
            if (d <= 0)
            {
                throw new ArgumentException($"Every dimension must be positive; got ({string.Join(", ", dimensions)}).", nameof(dimensions));
            }
        }

        _dimensions = (int[])dimensions.Clone();
    }

    /// <summary>Gets the Keras-order dimensions without the batch axis.</summary>
    public IReadOnlyList<int> Dimensions => _dimensions;

    /// <summary>Gets a value indicating whether this is a feature-map shape (height, width, channels).</summary>
    public bool IsSpatial => _dimensions.Length == 3;

    /// <summary>Gets the height of a spatial shape.</summary>
    /// <exception cref="InvalidOperationException">The shape is not spatial.</exception>
    public int Height => IsSpatial ? _dimensions[0] : throw NotSpatial();

    /// <summary>Gets the width of a spatial shape.</summary>
    /// <exception cref="InvalidOperationException">The shape is not spatial.</exception>
    public int Width => IsSpatial ? _dimensions[1] : throw NotSpatial();

    /// <summary>Gets the channels of a spatial shape, or the features of a flat shape.</summary>
    public int Channels => _dimensions[^1];

    /// <summary>Gets the number of values per sample.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in _dimensions)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>Creates a spatial shape from an <see cref="ImageShape"/>.</summary>
    /// <param name="shape">The image shape.</param>
    /// <returns>The equivalent layer shape.</returns>
    public static LayerShape FromImage(ImageShape shape) => new(shape.Height, shape.Width, shape.Channels);

    /// <summary>Converts a spatial shape to the equivalent <see cref="ImageShape"/>.</summary>
    /// <exception cref="InvalidOperationException">The shape is not spatial.</exception>
    internal ImageShape ToImage() => new(Height, Width, Channels);

    /// <summary>Returns the TorchSharp (channels-first) shape of a batch: [N, C, H, W] or [N, F].</summary>
    /// <param name="batchSize">The batch size.</param>
    /// <returns>The dimensions in TorchSharp order.</returns>
    public long[] ToTorchShape(long batchSize) =>
        IsSpatial ? [batchSize, Channels, Height, Width] : [batchSize, Channels];

    /// <summary>Formats the shape as Keras prints it, with the batch axis as <c>None</c>: <c>(None, 148, 148, 8)</c>.</summary>
    /// <returns>The formatted shape.</returns>
    public override string ToString() => $"(None, {string.Join(", ", _dimensions)})";

    /// <inheritdoc/>
    public bool Equals(LayerShape? other) => other is not null && _dimensions.AsSpan().SequenceEqual(other._dimensions);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as LayerShape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dimensions)
        {
            hash.Add(d);
        }

        return hash.ToHashCode();
    }

    private static InvalidOperationException NotSpatial() => new("This shape has no spatial dimensions (it is the output of Flatten or Dense).");
}
