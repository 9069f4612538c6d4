// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Data;

/// <summary>
/// An <see cref="IImageAugmenter"/> that can also augment one image straight from its decoded bytes: interleaved
/// bytes in, planar float32 out, the rescale applied on the way. The result equals
/// <see cref="IImageAugmenter.Augment"/> of the byte values as float32 followed by <c>x · rescale</c> in float32, bit for
/// bit, without the tensor round trips; <see cref="ImageFolderDataset"/> uses it when nothing runs between the
/// augmentation and a rescale-only standardisation.
/// </summary>
internal interface IPixelAugmenter
{
    /// <summary>Gets a value indicating whether <see cref="AugmentPixels"/> can stand in for <see cref="IImageAugmenter.Augment"/> (every transform this augmenter may draw is supported).</summary>
    bool CanAugmentPixels { get; }

    /// <summary>Draws one image's transform from <paramref name="seed"/>, as <see cref="IImageAugmenter.Augment"/> does, and applies it.</summary>
    /// <param name="pixels">H × W × C interleaved bytes.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="seed">The image's seed.</param>
    /// <param name="scale">The float32 factor applied to every result value.</param>
    /// <param name="destination">Receives C × H × W float32 values.</param>
    void AugmentPixels(ReadOnlySpan<byte> pixels, int channels, int height, int width, int seed, float scale, Span<float> destination);
}
