// Copyright (c) ConvViz contributors. Licensed under the MIT License.

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

    /// <summary>Gets the class names, by output index; indices are shown if <see langword="null"/>.</summary>
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

    /// <summary>Gets the layer used by Grad-CAM; the last Conv2D layer if <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? GradCamLayer { get; init; }

    /// <summary>Gets the settings of the feature-map grids (one per convolution and pooling layer).</summary>
    /// <value>The default value is per-map viridis grids with a colour-scale strip.</value>
    public FeatureMapGridOptions FeatureMaps { get; init; } = new() { ShowColorScale = true };

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
}
