// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;

namespace ConvViz.Benchmarks;

/// <summary>The blog's data settings: 150×150 RGB, rescale 1/255, and its <c>image_data_generator</c> augmentation.</summary>
internal static class BlogData
{
    public static ImagePreprocessing Preprocessing { get; } = new()
    {
        TargetHeight = Blog.Size,
        TargetWidth = Blog.Size,
        Rescale = 1.0 / 255,
    };

    public static AugmentationOptions Augmentation { get; } = new()
    {
        RotationRange = 40,
        WidthShiftRange = 0.2,
        HeightShiftRange = 0.2,
        ShearRange = 0.2,
        ZoomRange = AugmentationRange.Zoom(0.2),
        HorizontalFlip = true,
    };

    public static ImageFolderDataset Folder(string directory, int workers = 1, int prefetch = 2, bool cache = false, int batch = Blog.BatchSize) =>
        new(new ImageFolderDatasetOptions
        {
            Directory = directory,
            Preprocessing = Preprocessing,
            BatchSize = batch,
            Shuffle = true,
            Seed = 7,
            Augmenter = new Augmenter(Augmentation),
            WorkerCount = workers,
            PrefetchBatches = prefetch,
            CacheImages = cache,
        });

    public static Model CompiledModel(Precision precision = Precision.Float32)
    {
        var model = Blog.CreateModel();
        model.Compile(new CompileOptions { Loss = Loss.CategoricalCrossentropy, Optimizer = OptimizerOptions.Adamax(0.001), Metrics = [Metric.Accuracy], Precision = precision });
        return model;
    }
}
