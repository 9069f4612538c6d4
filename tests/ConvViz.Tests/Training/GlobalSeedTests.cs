// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Tests.Data;
using ConvViz.Training;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

/// <summary>
/// <see cref="ConvVizRuntime.Seed"/> feeds every unset seed: a seeded pipeline repeats bit for bit, another seed gives
/// other weights, and explicit seeds win. Every test clears the global seed afterwards (the tests share one process).
/// </summary>
public sealed class GlobalSeedTests : IDisposable
{
    private static readonly ImagePreprocessing Gray4 = new() { TargetHeight = 4, TargetWidth = 4, ColorMode = ColorMode.Grayscale, Rescale = 1.0 / 255 };
    private readonly TempDirectory _temp = new();
    private readonly string _folder;

    public GlobalSeedTests()
    {
        _folder = _temp.Combine("train");
        var random = new Random(5);
        foreach (var cls in (string[])["cats", "dogs"])
        {
            Directory.CreateDirectory(Path.Combine(_folder, cls));
            for (var i = 0; i < 6; i++)
            {
                TestImages.WriteSolidPng(Path.Combine(_folder, cls, $"{cls}{i}.png"), new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), 8);
            }
        }
    }

    public void Dispose()
    {
        ConvVizRuntime.ClearSeed();
        _temp.Dispose();
    }

    [Fact]
    public void Seed_TwoRunsOfAPipelineWithNoSeedOfItsOwn_GiveBitIdenticalWeights_AnotherSeedOtherWeights()
    {
        ConvVizRuntime.Seed(42);
        Assert.Equal(42, ConvVizRuntime.GlobalSeed);
        var first = Pipeline(out var firstDatasetSeed);
        using (rand(10))
        {
            // Draws from libtorch's global generator between runs do not matter: Seed restarts everything.
        }

        ConvVizRuntime.Seed(42);
        var second = Pipeline(out var secondDatasetSeed);
        Assert.Equal(firstDatasetSeed, secondDatasetSeed);
        Assert.Equal(first, second);

        ConvVizRuntime.Seed(43);
        var other = Pipeline(out var otherDatasetSeed);
        Assert.NotEqual(firstDatasetSeed, otherDatasetSeed);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Seed_ExplicitSeedsWin()
    {
        ConvVizRuntime.Seed(42);
        var under42 = Pipeline(out var datasetSeed, explicitSeeds: true);
        Assert.Equal(5, datasetSeed);
        Assert.Equal(3, new SmoothGradOptions { Seed = 3 }.Seed);
        Assert.Equal(4, new ActivationMaximizationOptions { Seed = 4 }.Seed);
        Assert.Equal(6, Split(6).Seed);

        ConvVizRuntime.Seed(7);
        Assert.Equal(under42, Pipeline(out _, explicitSeeds: true));

        ConvVizRuntime.ClearSeed();
        Assert.Equal(under42, Pipeline(out _, explicitSeeds: true));
    }

    [Fact]
    public void Seed_DrawsDistinctSeedsPerObject_InTheSameOrderEveryRun_AndClearSeedRestoresTheDefaults()
    {
        ConvVizRuntime.Seed(42);
        int[] Draw()
        {
            using var images = zeros(2, 1, 4, 4);
            using var labels = zeros(2, 2);
            using var a = new InMemoryDataset(images, labels, 1, shuffle: true);
            using var b = new InMemoryDataset(images, labels, 1, shuffle: true);
            return [a.Seed, b.Seed, new SmoothGradOptions().Seed, new SmoothGradOptions().Seed, new ActivationMaximizationOptions().Seed, Split(null).Seed];
        }

        var run = Draw();
        Assert.NotEqual(run[0], run[1]);
        Assert.NotEqual(run[2], run[3]);
        ConvVizRuntime.Seed(42);
        Assert.Equal(run, Draw());

        ConvVizRuntime.ClearSeed();
        Assert.Null(ConvVizRuntime.GlobalSeed);
        Assert.Equal([0, 0, 0, 0, 0, 0], Draw());
    }

    private static DatasetSplitOptions Split(int? seed)
    {
        var options = new DatasetSplitOptions { SourceDirectory = "in", DestinationDirectory = "out", Splits = [DatasetSplit.ByFraction("train", 0.5)] };
        return seed is { } s ? options with { Seed = s } : options;
    }

    /// <summary>Build, an augmented shuffled folder dataset, one epoch of Fit with Dropout; returns every weight.</summary>
    private float[] Pipeline(out int datasetSeed, bool explicitSeeds = false)
    {
        var builder = new SequentialBuilder(4, 4, 1).AddFlatten().AddDense(8, Activation.ReLU).AddDropout(0.5).AddDense(2, Activation.Softmax);
        if (explicitSeeds)
        {
            builder.WithSeed(11);
        }

        using var model = builder.Build().Compile(new CompileOptions());
        var augmenter = new Augmenter(new AugmentationOptions { RotationRange = 40, HorizontalFlip = true, WidthShiftRange = 0.2 });
        using var data = new ImageFolderDataset(new()
        {
            Directory = _folder,
            Preprocessing = Gray4,
            BatchSize = 4,
            Augmenter = augmenter,
            Seed = explicitSeeds ? 5 : null,
        });
        datasetSeed = data.Seed;
        model.Fit(data, new FitOptions { Verbosity = TrainingVerbosity.Silent, Seed = explicitSeeds ? 9 : null });
        return [.. model.Module.parameters().SelectMany(p => p.detach().cpu().flatten().data<float>().ToArray())];
    }
}
