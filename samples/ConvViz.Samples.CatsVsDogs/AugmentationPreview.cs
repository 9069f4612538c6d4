// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace ConvViz.Samples.CatsVsDogs;

/// <summary>
/// Draws what the training generator feeds the network: per row, one image as loaded (left) and random augmentations
/// of it, before the samplewise standardisation (which only rescales the values).
/// </summary>
internal static class AugmentationPreview
{
    private const int Variants = 4;
    private const int Gap = 4;

    public static void Save(Augmenter augmenter, ImagePreprocessing preprocessing, IReadOnlyList<string> files, int seed, string path)
    {
        int height = preprocessing.TargetHeight, width = preprocessing.TargetWidth;
        using var canvas = new Image<Rgb24>(((Variants + 1) * (width + Gap)) - Gap, (files.Count * (height + Gap)) - Gap, Color.White.ToPixel<Rgb24>());
        for (var row = 0; row < files.Count; row++)
        {
            using var scope = NewDisposeScope();
            var pixels = ImageLoader.LoadPixels(files[row], preprocessing, ImageDecodingOptions.Default); // [1, C, H, W], 0–255
            var seeds = Enumerable.Range(0, Variants).Select(i => unchecked(seed + (row * Variants) + i)).ToArray();
            var augmented = augmenter.Augment(pixels.expand(Variants, -1, -1, -1).contiguous(), seeds);
            for (var column = 0; column <= Variants; column++)
            {
                using var tile = TensorImages.ToImage(column == 0 ? pixels[0] : augmented[column - 1], 0, 255);
                var at = new Point(column * (width + Gap), row * (height + Gap));
                canvas.Mutate(c => c.DrawImage(tile, at, 1f));
            }
        }

        canvas.SaveAsPng(path);
    }
}
