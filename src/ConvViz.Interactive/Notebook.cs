// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Interactive;

/// <summary>
/// One-call pictures for a notebook cell: Grad-CAM and saliency overlays on a photo, filter grids, an augmentation
/// preview and the HTML report. Each returns a <see cref="NotebookFigure"/> (or <see cref="NotebookReport"/>) that
/// the notebook shows when it is the cell's last value.
/// </summary>
public static class Notebook
{
    /// <summary>
    /// Grad-CAM of a photo: the heatmap of the last Conv2D layer (or <see cref="GradCamOptions.LayerName"/>) over the photo at
    /// its own size (over the model's view of it when the photo is smaller than the model's input).
    /// </summary>
    /// <param name="model">The trained model.</param>
    /// <param name="photoPath">The photo; prepared with the model's own preprocessing.</param>
    /// <param name="classIndex">The class to explain, or <see langword="null"/> for the predicted class.</param>
    /// <param name="options">Grad-CAM settings, or <see langword="null"/> for the defaults.</param>
    /// <returns>The overlay, titled with the class and its probability.</returns>
    /// <exception cref="FileNotFoundException">The photo does not exist.</exception>
    public static NotebookFigure GradCam(Model model, string photoPath, int? classIndex = null, GradCamOptions? options = null) =>
        Attribution(model, photoPath, classIndex, "Grad-CAM", (m, input, c) => Inspection.GradCam.Compute(m, input, c, options),
            "Red: the regions whose activations raised the class score most (Grad-CAM of " + (options?.LayerName ?? "the last Conv2D layer") + ").");

    /// <summary>The saliency map of a photo (|∂ score / ∂ pixel|) over the photo at its own size (or the model's view of a smaller one).</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="photoPath">The photo; prepared with the model's own preprocessing.</param>
    /// <param name="classIndex">The class to explain, or <see langword="null"/> for the predicted class.</param>
    /// <returns>The overlay, titled with the class and its probability.</returns>
    /// <exception cref="FileNotFoundException">The photo does not exist.</exception>
    public static NotebookFigure Saliency(Model model, string photoPath, int? classIndex = null) =>
        Attribution(model, photoPath, classIndex, "Saliency", (m, input, c) => Inspection.Saliency.Compute(m, input, c),
            "Red: the pixels whose change would move the class score most.");

    /// <summary>Any heatmap [H, W] in [0, 1] (Grad-CAM, saliency, integrated gradients) over an image.</summary>
    /// <param name="image">The picture; not disposed.</param>
    /// <param name="heatmap">The heatmap; not disposed.</param>
    /// <param name="title">The title.</param>
    /// <param name="options">Overlay settings, or <see langword="null"/> for the defaults.</param>
    /// <returns>The overlay.</returns>
    public static NotebookFigure Heatmap(Image<Rgb24> image, Tensor heatmap, string title = "Heatmap", HeatmapOverlayOptions? options = null)
    {
        using var overlay = HeatmapOverlay.Render(image, heatmap, options);
        return new NotebookFigure(overlay, title);
    }

    /// <summary>The filters (kernels) of a Conv2D layer as small pictures: what each one looks for.</summary>
    /// <param name="model">The model.</param>
    /// <param name="layerName">A layer with filters (such as Conv2D), or <see langword="null"/> for the first one.</param>
    /// <param name="options">Grid settings, or <see langword="null"/> for an 8× enlargement.</param>
    /// <returns>The filter grid.</returns>
    public static NotebookFigure Filters(Model model, string? layerName = null, FilterGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new FilterGridOptions { Scale = 8 };
        using var grid = layerName is null ? FilterGrid.RenderFirstLayer(model, options) : FilterGrid.RenderLayer(model, layerName, options);
        var layer = layerName is null ? model.Layers.First(l => l.Options.HasFilters) : model.GetLayer(layerName);
        var caption = layerName is null
            ? "One colour tile per filter: its kernel's red, green and blue weights, stretched from the filter's lowest weight (dark) to its highest (bright)."
            : "One row per filter, one column per input channel: each kernel's weights from low to high.";
        return new NotebookFigure(grid, $"Filters of layer {layer.Index} (R index {layer.Index + 1}) '{layer.Name}'", caption);
    }

    /// <summary>
    /// What the training generator makes of some images: per row, an image as loaded (left) and random augmentations of
    /// it (R: <c>image_data_generator(...)</c> then <c>flow_images_from_directory</c>), before the per-image standardisation.
    /// </summary>
    /// <param name="augmenter">The augmentation.</param>
    /// <param name="preprocessing">The preprocessing (target size, colour mode).</param>
    /// <param name="files">The images, one row each.</param>
    /// <param name="variants">The number of augmentations per image.</param>
    /// <param name="seed">The seed of the random augmentations.</param>
    /// <returns>The preview.</returns>
    /// <exception cref="ArgumentException">No files are given, or more than 8.</exception>
    public static NotebookFigure AugmentationPreview(Augmenter augmenter, ImagePreprocessing preprocessing, IReadOnlyList<string> files, int variants = 4, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        using var canvas = AugmentationGrid.Render(augmenter, preprocessing, files, variants, seed);
        int height = preprocessing.TargetHeight, width = preprocessing.TargetWidth;
        return new NotebookFigure(canvas, "Augmentation preview", $"Left: as loaded ({width}×{height}); right: {variants} random augmentations of it.");
    }

    /// <summary>ConvViz's HTML report of a model, shown in the notebook.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Report settings (input image, history chart, ...), or <see langword="null"/>.</param>
    /// <returns>The report view.</returns>
    public static NotebookReport Report(Model model, HtmlReportOptions? options = null) => new(HtmlReport.Create(model, options));

    private static Image<Rgb24> RenderOnModelView(Model model, string photoPath, Tensor heatmap)
    {
        using var scope = NewDisposeScope();
        using var view = TensorImages.ToImage(ImageLoader.LoadPixels(photoPath, model.GetImagePreprocessing(), ImageDecodingOptions.Default), 0, 255);
        return HeatmapOverlay.Render(view, heatmap);
    }

    private static NotebookFigure Attribution(Model model, string photoPath, int? classIndex, string method, Func<Model, Tensor, int, AttributionResult> compute, string caption)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(photoPath);
        if (!File.Exists(photoPath))
        {
            throw new FileNotFoundException($"The photo '{photoPath}' does not exist.", photoPath);
        }

        using var scope = NewDisposeScope();
        var input = model.LoadImage(photoPath);
        var probabilities = model.Predict(input)[0].to_type(ScalarType.Float32).cpu();
        var predicted = (int)probabilities.argmax().item<long>();
        var target = classIndex ?? predicted;
        var classes = model.ClassNames;
        var name = target < classes.Count ? classes[target] : $"class {target}";
        var probability = target < probabilities.shape[0] ? probabilities[target].item<float>() : float.NaN;
        using var result = compute(model, input, target);
        var heatmap = result.Maps;

        // On the photo at its own size; a photo smaller than the model's input (28×28 demo images) on the model's view of it.
        var info = Image.Identify(photoPath);
        using var overlay = info is not null && info.Width >= model.InputShape.Width && info.Height >= model.InputShape.Height
            ? HeatmapOverlay.RenderOnPhoto(photoPath, heatmap)
            : RenderOnModelView(model, photoPath, heatmap);
        return new NotebookFigure(
            overlay,
            FormattableString.Invariant($"{method} for '{name}' (probability {probability:F3}) on {Path.GetFileName(photoPath)}"),
            caption);
    }
}
