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
