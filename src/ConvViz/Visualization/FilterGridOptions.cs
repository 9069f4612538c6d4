// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>Settings of <see cref="FilterGrid"/>.</summary>
public sealed record FilterGridOptions
{
    /// <summary>Gets the integer upscaling factor of each kernel pixel (nearest neighbour).</summary>
    /// <value>The default value is 12 (a 3×3 kernel becomes 36×36 pixels).</value>
    public int Scale
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Scale));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 64, nameof(Scale));
            field = value;
        }
    } = 12;

    /// <summary>Gets the white space between and around tiles, in output pixels.</summary>
    /// <value>The default value is 2.</value>
    public int Padding
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Padding));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 64, nameof(Padding));
            field = value;
        }
    } = 2;

    /// <summary>Gets the colour scale of single-channel kernel tiles (RGB tiles of the first layer are drawn in colour).</summary>
    /// <value>The default value is <see cref="Colormap.Gray"/>.</value>
    public Colormap Colormap { get; init; } = Colormap.Gray;

    /// <summary>Gets the largest number of filters (output channels) drawn; the first ones are kept.</summary>
    /// <value>The default value is <see langword="null"/> (all).</value>
    public int? MaxFilters
    {
        get;
        init
        {
            if (value is { } max)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max, nameof(MaxFilters));
            }

            field = value;
        }
    }

    /// <summary>Gets the largest number of input channels drawn per filter in a per-channel grid; the first ones are kept.</summary>
    /// <value>The default value is <see langword="null"/> (all).</value>
    public int? MaxInputChannels
    {
        get;
        init
        {
            if (value is { } max)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max, nameof(MaxInputChannels));
            }

            field = value;
        }
    }

    /// <summary>
    /// Gets a value indicating whether a title is drawn above the grid: <see cref="Title"/> if set; otherwise the layer's
    /// name, 0-based index, R index (index + 1), output shape and kernel size, and for a per-channel grid what the rows
    /// and columns are and how many of them are drawn.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ShowTitle { get; init; } = true;

    /// <summary>Gets the title text used instead of the automatic one (when <see cref="ShowTitle"/> is on).</summary>
    /// <value>The default value is <see langword="null"/> (automatic).</value>
    public string? Title { get; init; }

    /// <summary>
    /// Gets a value indicating whether filters are numbered: above every tile of the first-layer grid (or, if the
    /// numbers do not fit the tile width, at the start of each row), and along the rows (filters) and columns (input
    /// channels) of a per-channel grid, skipping rows or columns evenly where they are too small for their numbers.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ShowChannelNumbers { get; init; } = true;

    /// <summary>
    /// Gets a value indicating whether the colour bar of a per-channel grid (always drawn: its tiles share one scale)
    /// has the minimum and maximum weight written under its ends.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ShowColorBarLabels { get; init; } = true;
}
