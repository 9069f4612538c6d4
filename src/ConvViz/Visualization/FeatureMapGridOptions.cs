// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>Settings of <see cref="FeatureMapGrid"/>.</summary>
public sealed class FeatureMapGridOptions
{
    /// <summary>Gets the 0-based channels to draw, in order; all channels if <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/> (all channels).</value>
    public IReadOnlyList<int>? Channels { get; init; }

    /// <summary>Gets the number of tiles per row; ⌈√C⌉ if <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/> (automatic).</value>
    public int? Columns
    {
        get;
        init
        {
            if (value is { } columns)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns, nameof(Columns));
            }

            field = value;
        }
    }

    /// <summary>Gets the white space between and around tiles, in output pixels.</summary>
    /// <value>The default value is 1.</value>
    public int Padding
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Padding));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 64, nameof(Padding));
            field = value;
        }
    } = 1;

    /// <summary>Gets how values are mapped to colours.</summary>
    /// <value>The default value is <see cref="FeatureMapNormalization.PerMap"/>.</value>
    public FeatureMapNormalization Normalization { get; init; } = FeatureMapNormalization.PerMap;

    /// <summary>Gets the lower percentile (0–100) used by <see cref="FeatureMapNormalization.Percentile"/>.</summary>
    /// <value>The default value is 1.</value>
    public double LowerPercentile
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(LowerPercentile));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 100, nameof(LowerPercentile));
            field = value;
        }
    } = 1;

    /// <summary>Gets the upper percentile (0–100) used by <see cref="FeatureMapNormalization.Percentile"/>.</summary>
    /// <value>The default value is 99.</value>
    public double UpperPercentile
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(UpperPercentile));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 100, nameof(UpperPercentile));
            field = value;
        }
    } = 99;

    /// <summary>Gets the colour scale.</summary>
    /// <value>The default value is <see cref="Colormap.Viridis"/>.</value>
    public Colormap Colormap { get; init; } = Colormap.Viridis;

    /// <summary>Gets the integer upscaling factor (nearest neighbour); if <see langword="null"/>, the smallest factor that makes tiles at least 48 pixels.</summary>
    /// <value>The default value is <see langword="null"/> (automatic).</value>
    public int? Scale
    {
        get;
        init
        {
            if (value is { } scale)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale, nameof(Scale));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, 64, nameof(Scale));
            }

            field = value;
        }
    }

    /// <summary>Gets a value indicating whether a colour-scale strip (low values on the left) is drawn under the grid.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ShowColorScale { get; init; }

    /// <summary>Gets which sample of a batch [N, C, H, W] to draw.</summary>
    /// <value>The default value is 0.</value>
    public int SampleIndex
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(SampleIndex));
            field = value;
        }
    }
}
