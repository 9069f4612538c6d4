// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models.Layers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Visualization;

/// <summary>Contents and settings of an <see cref="HtmlReport"/>. The report does not take ownership of the tensor or image.</summary>
public sealed record HtmlReportOptions
{
    /// <summary>Gets the report title.</summary>
    /// <value>The default value is "ConvViz report".</value>
    public string Title
    {
        get;
        init
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(Title));
            field = value;
        }
    } = "ConvViz report";

    /// <summary>Gets the preprocessed input image [1, C, H, W] to explain (predictions, feature maps, Grad-CAM); not disposed.
    /// Without it the report shows only the model, its filters and the history.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Tensor? Input { get; init; }

    /// <summary>Gets the image shown for <see cref="Input"/> and under the Grad-CAM overlay (for example the original photo at the
    /// model's input size); if <see langword="null"/>, <see cref="Input"/> is drawn stretched to its own range.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Image<Rgb24>? InputImage { get; init; }

    /// <summary>Gets the class names, by output index; if <see langword="null"/>, the model's <see cref="Models.Model.ClassNames"/>
    /// (set by <c>Fit</c> from the training folders and saved with the model), or indices when the model has none.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Gets how many of the best predictions are listed.</summary>
    /// <value>The default value is 5.</value>
    public int TopPredictions
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(TopPredictions));
            field = value;
        }
    } = 5;

    /// <summary>Gets a training-history chart as a complete SVG document (embedded as an image, so it needs
    /// <c>xmlns="http://www.w3.org/2000/svg"</c> and <c>width</c>/<c>height</c> attributes); omitted if <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? HistorySvg { get; init; }

    /// <summary>Gets the class explained by Grad-CAM; the top prediction if <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? GradCamClass { get; init; }

    /// <summary>Gets the layer used by Grad-CAM; <see cref="GradCam.DefaultLayer"/> (the last convolution before the classifier) if <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? GradCamLayer { get; init; }

    /// <summary>Gets the settings of the feature-map grids (one per convolution and pooling layer).</summary>
    /// <value>The default value is per-map viridis grids with a colour-scale strip.</value>
    public FeatureMapGridOptions FeatureMaps { get; init; } = new() { ColorBar = ColorBarMode.Always };

    /// <summary>Gets the largest number of channels drawn per layer (the first ones); applies when <see cref="FeatureMapGridOptions.Channels"/> is not set.</summary>
    /// <value>The default value is 64.</value>
    public int MaxChannelsPerLayer
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(MaxChannelsPerLayer));
            field = value;
        }
    } = 64;

    /// <summary>Gets the page layout: the explorable page (default) or the static page for printing.</summary>
    /// <value>The default value is <see cref="HtmlReportLayout.Interactive"/>.</value>
    public HtmlReportLayout Layout { get; init; } = HtmlReportLayout.Interactive;

    /// <summary>Gets the input images the report explains (for example a cat, a dog and a misclassified one); every view
    /// of the interactive page switches between them. If <see langword="null"/>, <see cref="Input"/> and
    /// <see cref="InputImage"/> are the single image. The static layout shows only the first image.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<HtmlReportImage>? Images { get; init; }

    /// <summary>Gets the names of the layers whose activations are embedded; if <see langword="null"/>, the layers of <see cref="IntermediateModel.FromFeatureMapLayers"/> (spatial output, not training-only), as in the static layout.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>Gets the attribution methods computed for every class of every image (interactive layout).</summary>
    /// <value>The default value is Grad-CAM, Grad-CAM++, saliency, SmoothGrad and Integrated Gradients.</value>
    public IReadOnlyList<HtmlReportAttribution> Attributions
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Attributions));
            field = value;
        }
    } = [HtmlReportAttribution.GradCam, HtmlReportAttribution.GradCamPlusPlus, HtmlReportAttribution.Saliency, HtmlReportAttribution.SmoothGrad, HtmlReportAttribution.IntegratedGradients];

    /// <summary>Gets the layers with filters (<see cref="LayerOptions.HasFilters"/>, such as Conv2D) for which activation-maximisation patterns are computed and shown (interactive layout); none if empty.</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<string> PatternLayers
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(PatternLayers));
            field = value;
        }
    } = [];

    /// <summary>Gets how many channels (the first ones) of each pattern layer get a pattern.</summary>
    /// <value>The default value is 8.</value>
    public int PatternChannels
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(PatternChannels));
            field = value;
        }
    } = 8;

    /// <summary>Gets the activation-maximisation settings of the patterns; the page states them. Unless
    /// <see cref="ActivationMaximizationOptions.InputMin"/> or <see cref="ActivationMaximizationOptions.InputMax"/> is set
    /// explicitly, the patterns use the input range the model saw in training, from its preprocessing
    /// (<see cref="ActivationMaximizationOptions.WithInputRangeOf"/>: about ±2.5 for standardised images, [0, 1] for
    /// <c>rescale = 1/255</c>); a model without preprocessing uses [0, 1].</summary>
    /// <value>The default value is 160 steps of size 0.02 from seeded noise 0.1 in the model's input range, with jitter 4, a Gaussian blur (sigma 1) every 4 steps and decay 0.01.</value>
    public ActivationMaximizationOptions PatternSettings
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(PatternSettings));
            field = value;
        }
    } = new() { Steps = 160, StepSize = 0.02, NoiseAmplitude = 0.1, Seed = 1, Jitter = 4, BlurSigma = 1.0, BlurEvery = 4, Decay = 0.01 };

    /// <summary>Gets the size budget of the interactive page in bytes. Over it, the report drops detail in this order and says so
    /// in the page and the log: fewer channels per layer (halved down to 8), then smaller tiles (every 2nd, 3rd, … pixel, down to 8 pixels a side).</summary>
    /// <value>The default value is 4 MiB.</value>
    public long SizeBudget
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 64 * 1024, nameof(SizeBudget));
            field = value;
        }
    } = 4L * 1024 * 1024;

    /// <summary>Gets the logger for warnings (a report over its budget).</summary>
    /// <value>The default value is <see cref="NullLogger.Instance"/>.</value>
    public ILogger Logger
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Logger));
            field = value;
        }
    } = NullLogger.Instance;
}
