// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Imaging;

/// <summary>How decoded images are converted to channels (Keras <c>color_mode</c>).</summary>
public enum ColorMode
{
    /// <summary>One channel (luminance).</summary>
    Grayscale,

    /// <summary>Three channels: red, green, blue (the default).</summary>
    Rgb,

    /// <summary>Four channels: red, green, blue, alpha.</summary>
    Rgba,
}

/// <summary>The one rule between colour modes and channel counts (1 grayscale, 3 RGB, 4 RGBA), used by every stage.</summary>
internal static class ColorModes
{
    /// <summary>Gets the number of channels a colour mode produces.</summary>
    public static int Channels(ColorMode mode) => mode switch
    {
        ColorMode.Grayscale => 1,
        ColorMode.Rgba => 4,
        _ => 3,
    };

    /// <summary>Gets the colour mode of images with <paramref name="channels"/> channels, or <see langword="null"/> when no colour mode has that many.</summary>
    public static ColorMode? FromChannels(long channels) => channels switch
    {
        1 => ColorMode.Grayscale,
        3 => ColorMode.Rgb,
        4 => ColorMode.Rgba,
        _ => null,
    };
}
