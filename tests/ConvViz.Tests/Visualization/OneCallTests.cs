// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Tests.Data;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Visualization;

/// <summary>One call per step the blog's reader takes: every layer's grid, a Grad-CAM overlay, the photo as the model sees it, and Save on every picture.</summary>
public sealed class OneCallTests
{
    private static readonly ImagePreprocessing s_standardised = new() { TargetHeight = 32, TargetWidth = 32, SamplewiseStdNormalization = true };

    [Fact]
    public void SaveGrids_EveryLayer_WritesOneTitledGridPerSpatialLayerNamedByRIndex_AndSkipsFlatLayers()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = CreateSmallModel();
        using var directory = new TempDirectory();
        using var activations = IntermediateModel.From(model, Enumerable.Range(0, model.Layers.Count)).Run(rand(1, 3, 32, 32, generator: new Generator(4)));

        var paths = activations.SaveGrids(directory.Path);

        Assert.Equal(["layer1-conv2d.png", "layer2-max_pooling2d.png", "layer3-conv2d_1.png"], paths.Select(Path.GetFileName));
        Assert.Equal(3, Directory.GetFiles(directory.Path).Length); // flatten, dropout and dense have no grid, and no temporary file is left
        foreach (var (path, layer) in paths.Zip(model.Layers))
        {
            using var expected = FeatureMapGrid.RenderForLayer(activations[layer.Name], layer);
            using var saved = Image.Load<Rgb24>(path);
            AssertSamePixels(expected, saved);
        }

        Keep(paths[0], "savegrids-layer1.png");
    }

    [Fact]
    public void SaveGrids_MissingFolderAndOptions_CreatesTheFolderAndAppliesTheOptions()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = CreateSmallModel();
        using var directory = new TempDirectory();
        using var activations = IntermediateModel.From(model, "conv2d").Run(rand(1, 3, 32, 32, generator: new Generator(4)));
        var options = new FeatureMapGridOptions { Channels = [1, 2], ShowTitle = false };

        var paths = activations.SaveGrids(directory.Combine("grids", "run1"), options);

        using var expected = FeatureMapGrid.RenderForLayer(activations["conv2d"], model.Layers[0], options);
        using var saved = Image.Load<Rgb24>(Assert.Single(paths));
        AssertSamePixels(expected, saved);
    }

    [Fact]
    public void SaveGradCam_NonSquarePhoto_WritesWhatTheFiveCallsWrite_ForThePredictedClass()
    {
        using var scope = NewDisposeScope();
        using var model = CreateClassifier();
        using var directory = new TempDirectory();
        var photo = WritePhoto(directory.Combine("photo.png"), 45, 30);
        var output = directory.Combine("grad-cam.png");

        var explained = HeatmapOverlay.SaveGradCam(model, photo, output);

        var input = model.LoadImage(photo);
        var predicted = model.PredictClasses(input)[0];
        Assert.Equal(predicted, explained);
        using var cam = GradCam.Compute(model, input, predicted.ClassIndex);
        using var expected = HeatmapOverlay.RenderOnPhoto(photo, cam.Maps);
        using var saved = Image.Load<Rgb24>(output);
        Assert.Equal((45, 30), (saved.Width, saved.Height));
        AssertSamePixels(expected, saved);
        Keep(output, "grad-cam.png");
    }

    [Fact]
    public void SaveGradCam_OtherClass_ExplainsThatClassWithItsNameAndProbability()
    {
        using var scope = NewDisposeScope();
        using var model = CreateClassifier();
        using var directory = new TempDirectory();
        var photo = WritePhoto(directory.Combine("photo.png"), 32, 32);
        var predicted = model.PredictImageClass(photo);
        var other = 1 - predicted.ClassIndex;
        var options = new GradCamOptions { LayerName = "conv2d" };

        var explained = HeatmapOverlay.SaveGradCam(model, photo, directory.Combine("other.png"), options, other);

        Assert.Equal(other, explained.ClassIndex);
        Assert.Equal(model.ClassNames[other], explained.ClassName);
        Assert.Equal(1 - predicted.Probability, explained.Probability, 5);
        using var cam = GradCam.Compute(model, model.LoadImage(photo), other, options);
        using var expected = HeatmapOverlay.RenderOnPhoto(photo, cam.Maps);
        using var saved = Image.Load<Rgb24>(directory.Combine("other.png"));
        AssertSamePixels(expected, saved);
        Assert.Throws<ArgumentOutOfRangeException>(() => HeatmapOverlay.SaveGradCam(model, photo, directory.Combine("bad.png"), classIndex: 2));
        Assert.False(File.Exists(directory.Combine("bad.png")));
    }

    [Fact]
    public void LoadImageForDisplay_StandardisedModel_IsTheResizedPhotoBeforeStandardisation()
    {
        using var scope = NewDisposeScope();
        using var model = CreateSmallModel();
        model.Preprocessing = s_standardised with { Interpolation = Interpolation.Bilinear };
        using var directory = new TempDirectory();
        var photo = WritePhoto(directory.Combine("photo.png"), 45, 30);

        using var shown = model.LoadImageForDisplay(photo);

        using var expected = TensorImages.ToImage(ImageLoader.LoadPixels(photo, model.Preprocessing, ImageDecodingOptions.Default), 0, 255);
        Assert.Equal((32, 32), (shown.Width, shown.Height));
        AssertSamePixels(expected, shown);
        var kept = directory.Combine("display.png");
        shown.SaveAsPng(kept);
        Keep(kept, "display.png");
    }

    [Fact]
    public void LoadForDisplay_GrayscaleAndRgba_GivesGreyAndOpaqueRgb()
    {
        using var scope = NewDisposeScope();
        using var directory = new TempDirectory();
        var photo = WritePhoto(directory.Combine("photo.png"), 20, 10);

        using var grey = ImageLoader.LoadForDisplay(photo, new ImagePreprocessing { TargetHeight = 10, TargetWidth = 20, ColorMode = ColorMode.Grayscale });
        using var rgba = ImageLoader.LoadForDisplay(photo, new ImagePreprocessing { TargetHeight = 10, TargetWidth = 20, ColorMode = ColorMode.Rgba });
        using var original = Image.Load<Rgb24>(photo);

        Assert.All(Pixels(grey), p => Assert.True(p.R == p.G && p.G == p.B));
        AssertSamePixels(original, rgba);
    }

    [Fact]
    public void SaveMethods_EveryPictureType_WriteThePngTheirRenderDraws()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var model = CreateSmallModel();
        using var directory = new TempDirectory();
        var photo = WritePhoto(directory.Combine("photo.png"), 45, 30);
        var heatmap = rand(8, 8, generator: new Generator(8));
        using var image = Image.Load<Rgb24>(photo);
        using var patterns = ActivationMaximization.RunLayer(model, "conv2d_1", [0, 1], new ActivationMaximizationOptions { Steps = 2 });
        var augmenter = new Augmenter(new AugmentationOptions { RotationRange = 30, HorizontalFlip = true });
        var preprocessing = new ImagePreprocessing { TargetHeight = 24, TargetWidth = 24 };
        var out1 = directory.Combine("out");
        Directory.CreateDirectory(out1);

        var cases = new (string Name, Action<string> Save, Func<Image<Rgb24>> Render)[]
        {
            ("filters-first", p => FilterGrid.SaveFirstLayer(model, p), () => FilterGrid.RenderFirstLayer(model)),
            ("filters-layer", p => FilterGrid.SaveLayer(model, "conv2d_1", p, new FilterGridOptions { MaxFilters = 3 }), () => FilterGrid.RenderLayer(model, "conv2d_1", new FilterGridOptions { MaxFilters = 3 })),
            ("patterns", p => FilterGrid.SavePatterns(model, patterns, p), () => FilterGrid.RenderPatterns(model, patterns)),
            ("overlay", p => HeatmapOverlay.Save(image, heatmap, p), () => HeatmapOverlay.Render(image, heatmap)),
            ("overlay-photo", p => HeatmapOverlay.SaveOnPhoto(photo, heatmap, p, new HeatmapOverlayOptions { Alpha = 0.7 }), () => HeatmapOverlay.RenderOnPhoto(photo, heatmap, new HeatmapOverlayOptions { Alpha = 0.7 })),
            ("heatmap", p => HeatmapOverlay.SaveHeatmap(heatmap, p, Colormap.Viridis, 4), () => HeatmapOverlay.RenderHeatmap(heatmap, Colormap.Viridis, 4)),
            ("augmentation", p => AugmentationGrid.Save(augmenter, preprocessing, [photo], p, variants: 3, seed: 2), () => AugmentationGrid.Render(augmenter, preprocessing, [photo], 3, 2)),
        };
        foreach (var (name, save, render) in cases)
        {
            var path = Path.Combine(out1, name + ".png");
            save(path);
            using var expected = render();
            using var saved = Image.Load<Rgb24>(path);
            AssertSamePixels(expected, saved);
        }

        Assert.Equal(cases.Length, Directory.GetFiles(out1).Length); // atomic writes leave no temporary files
        Keep(Path.Combine(out1, "augmentation.png"), "augmentation.png");
        Keep(Path.Combine(out1, "patterns.png"), "patterns.png");
    }

    /// <summary>Copies an output to artifacts/test-output/OneCall, to look at it (as the report tests keep theirs).</summary>
    private static void Keep(string path, string name)
    {
        var root = AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConvViz.sln")))
            {
                root = dir.FullName;
                break;
            }
        }

        var folder = Path.Combine(root, "artifacts", "test-output", "OneCall");
        Directory.CreateDirectory(folder);
        File.Copy(path, Path.Combine(folder, name), overwrite: true);
    }

    private static string WritePhoto(string path, int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)((x + y) % 2 == 0 ? 200 : 40));
            }
        }

        image.SaveAsPng(path);
        return path;
    }

    private static Rgb24[] Pixels(Image<Rgb24> image)
    {
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private static void AssertSamePixels(Image<Rgb24> expected, Image<Rgb24> actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.True(Pixels(expected).AsSpan().SequenceEqual(Pixels(actual)), "The saved PNG differs from the rendered image.");
    }

    private static Model CreateSmallModel() => HtmlReportTests.CreateSmallModel();

    /// <summary>The small model with seeded weights, standardising preprocessing and class names.</summary>
    private static Model CreateClassifier()
    {
        manual_seed(5);
        var model = CreateSmallModel();
        model.Preprocessing = s_standardised;
        model.ClassNames = ["boot", "sneaker"];
        return model;
    }
}
