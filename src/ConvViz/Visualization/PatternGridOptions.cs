// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>Settings of <see cref="FilterGrid.RenderPatterns"/>, the activation-maximisation grid.</summary>
public sealed record PatternGridOptions
{
    /// <summary>Gets the white space between and around tiles, in output pixels.</summary>
    /// <value>The default value is 4.</value>
    public int Padding
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Padding));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 64, nameof(Padding));
            field = value;
        }
    } = 4;

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

    /// <summary>Gets the number of tiles per row; ⌈√F⌉ if <see langword="null"/>.</summary>
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

    /// <summary>
    /// Gets a value indicating whether a title is drawn above the grid: <see cref="Title"/> if set; otherwise the layer's
    /// name, 0-based index, R index (index + 1) and output shape, the number of channels maximised and the ascent steps run.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ShowTitle { get; init; } = true;

    /// <summary>Gets the title text used instead of the automatic one (when <see cref="ShowTitle"/> is on).</summary>
    /// <value>The default value is <see langword="null"/> (automatic).</value>
    public string? Title { get; init; }

    /// <summary>
    /// Gets a value indicating whether every pattern has the number of the channel it maximises above it (omitted when
    /// the numbers do not fit the tile width; then rows are numbered on the left if the channels are consecutive).
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ShowChannelNumbers { get; init; } = true;
}
