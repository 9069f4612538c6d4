// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>Settings of <see cref="FilterGrid"/>.</summary>
public sealed class FilterGridOptions
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
}
