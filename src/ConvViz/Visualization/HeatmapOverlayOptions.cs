// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>Settings of <see cref="HeatmapOverlay"/>.</summary>
public sealed record HeatmapOverlayOptions
{
    /// <summary>Gets the weight of the heatmap colour in the blend: pixel = (1 − alpha)·image + alpha·colour.</summary>
    /// <value>The default value is 0.4 (Deep Learning with Python's Grad-CAM overlay).</value>
    public double Alpha
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Alpha));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1.0, nameof(Alpha));
            field = value;
        }
    } = 0.4;

    /// <summary>Gets the colour scale of the heatmap.</summary>
    /// <value>The default value is <see cref="Colormap.Jet"/>.</value>
    public Colormap Colormap { get; init; } = Colormap.Jet;
}
