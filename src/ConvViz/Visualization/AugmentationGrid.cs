// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace ConvViz.Visualization;

/// <summary>
/// Draws what a training generator feeds the network: one row per image, the image as loaded (left) and random
/// augmentations of it, before any standardisation (which only rescales values). R's habit of plotting a few
/// <c>generator_next()</c> batches, as one picture.
/// </summary>
public static class AugmentationGrid
{
    private const int Gap = 4;

    /// <summary>Renders the grid as <see cref="Render"/> does and writes it as a PNG file.</summary>
    /// <param name="augmenter">The augmentation to preview.</param>
    /// <param name="preprocessing">The loading steps (size, colour mode, interpolation) applied before augmenting.</param>
    /// <param name="files">1 to 8 image files, one row each.</param>
    /// <param name="path">The PNG file to create or overwrite (written atomically).</param>
    /// <param name="variants">The augmentations per image (1 to 8).</param>
    /// <param name="seed">The seed of the first augmentation; row r, column c uses <c>seed + r × variants + c</c>.</param>
    /// <exception cref="ArgumentException">No files are given, or more than 8, or <paramref name="variants"/> is outside 1 to 8.</exception>
    /// <exception cref="InvalidImageFileException">A file cannot be decoded.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(Augmenter augmenter, ImagePreprocessing preprocessing, IReadOnlyList<string> files, string path, int variants = 4, int seed = 0)
    {
        AtomicFile.WritePng(path, () => Render(augmenter, preprocessing, files, variants, seed));
    }

    /// <summary>Renders the grid.</summary>
    /// <param name="augmenter">The augmentation to preview.</param>
    /// <param name="preprocessing">The loading steps (size, colour mode, interpolation) applied before augmenting.</param>
    /// <param name="files">1 to 8 image files, one row each.</param>
    /// <param name="variants">The augmentations per image (1 to 8).</param>
    /// <param name="seed">The seed of the first augmentation; row r, column c uses <c>seed + r × variants + c</c>.</param>
    /// <returns>An RGB image (white background, 4-pixel gaps); the caller owns it.</returns>
    /// <exception cref="ArgumentException">No files are given, or more than 8, or <paramref name="variants"/> is outside 1 to 8.</exception>
    /// <exception cref="InvalidImageFileException">A file cannot be decoded.</exception>
    public static Image<Rgb24> Render(Augmenter augmenter, ImagePreprocessing preprocessing, IReadOnlyList<string> files, int variants = 4, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(augmenter);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count is 0 or > 8)
        {
            throw new ArgumentException($"AugmentationGrid shows 1 to 8 images (one row each); got {files.Count}.", nameof(files));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(variants, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(variants, 8);
        NativeBackend.EnsureLoaded();
        int height = preprocessing.TargetHeight, width = preprocessing.TargetWidth;
        var canvas = new Image<Rgb24>(((variants + 1) * (width + Gap)) - Gap, (files.Count * (height + Gap)) - Gap, Color.White.ToPixel<Rgb24>());
        try
        {
            for (var row = 0; row < files.Count; row++)
            {
                using var scope = NewDisposeScope();
                var pixels = ImageLoader.LoadPixels(files[row], preprocessing, ImageDecodingOptions.Default); // [1, C, H, W], 0–255
                var seeds = Enumerable.Range(0, variants).Select(i => unchecked(seed + (row * variants) + i)).ToArray();
                var augmented = augmenter.Augment(pixels.expand(variants, -1, -1, -1).contiguous(), seeds);
                for (var column = 0; column <= variants; column++)
                {
                    using var tile = TensorImages.ToImage(column == 0 ? pixels[0] : augmented[column - 1], 0, 255);
                    var at = new Point(column * (width + Gap), row * (height + Gap));
                    canvas.Mutate(c => c.DrawImage(tile, at, 1f));
                }
            }

            return canvas;
        }
        catch
        {
            canvas.Dispose();
            throw;
        }
    }
}
