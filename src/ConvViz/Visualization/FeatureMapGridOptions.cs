// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>Settings of <see cref="FeatureMapGrid"/>.</summary>
public sealed record FeatureMapGridOptions
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

    /// <summary>Gets when a colour bar (the colormap from low, left, to high, right) is drawn under the grid.</summary>
    /// <value>The default value is <see cref="ColorBarMode.WhenShared"/>: under <see cref="FeatureMapNormalization.PerLayer"/>
    /// and <see cref="FeatureMapNormalization.Percentile"/>, not under <see cref="FeatureMapNormalization.PerMap"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="ColorBarMode"/> member.</exception>
    public ColorBarMode ColorBar
    {
        get;
        init
        {
            if (value is not (ColorBarMode.WhenShared or ColorBarMode.Always or ColorBarMode.Never))
            {
                throw new ArgumentOutOfRangeException(nameof(ColorBar), value, "FeatureMapGridOptions.ColorBar must be ColorBarMode.WhenShared (the default), Always or Never.");
            }

            field = value;
        }
    }

    /// <summary>
    /// Gets a value indicating whether the ends of the colour bar are labelled: with the values mapped to them (four
    /// significant digits) when the tiles share one scale, or "tile min" and "tile max" under
    /// <see cref="FeatureMapNormalization.PerMap"/> (drawn with <see cref="ColorBarMode.Always"/>).
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ShowColorBarLabels { get; init; } = true;

    /// <summary>
    /// Gets a value indicating whether a title is drawn above the grid: <see cref="Title"/> if set; otherwise, for a
    /// layer's maps, its name, 0-based index, R index (index + 1) and output shape
    /// (<c>conv2d_1 · layer 2 (R index 3) · 72×72×64</c>), or for a bare tensor its shape; followed by how many of the
    /// channels are drawn when that is not all, and the sample when the batch has more than one.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ShowTitle { get; init; } = true;

    /// <summary>Gets the title text used instead of the automatic one (when <see cref="ShowTitle"/> is on).</summary>
    /// <value>The default value is <see langword="null"/> (automatic).</value>
    public string? Title { get; init; }

    /// <summary>
    /// Gets a value indicating whether every tile has its channel number above it. When the widest number does not
    /// fit in a tile's width (tiles narrower than about 6 pixels per digit, for example 3×3-pixel tiles), the numbers are
    /// omitted and, if the tiles show consecutive channels, each row is numbered on the left with its first channel
    /// instead (rows too short for text are skipped evenly).
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ShowChannelNumbers { get; init; } = true;

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
