// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Imaging;
using ConvViz.Visualization;
using SixLabors.ImageSharp;

namespace ConvViz.Samples.CatsVsDogs;

/// <summary>
/// Saves what the training generator feeds the network: per row, one image as loaded (left) and four random
/// augmentations of it, before the samplewise standardisation (which only rescales the values).
/// </summary>
internal static class AugmentationPreview
{
    public static void Save(Augmenter augmenter, ImagePreprocessing preprocessing, IReadOnlyList<string> files, int seed, string path)
    {
        using var grid = AugmentationGrid.Render(augmenter, preprocessing, files, variants: 4, seed);
        grid.SaveAsPng(path);
    }
}
