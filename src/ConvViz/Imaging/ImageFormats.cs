// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Imaging;

/// <summary>
/// The image formats ConvViz may decode. Only JPEG and PNG are enabled by default: ImageSharp 2.1.13 has unfixed
/// advisories on its TIFF paths and an unreleased BMP fix, so the other decoders are opt-in. The decoder is chosen by
/// file content, never by extension, so a disabled format stays disabled even when a file is renamed.
/// </summary>
[Flags]
public enum ImageFormats
{
    /// <summary>No format.</summary>
    None = 0,

    /// <summary>JPEG (enabled by default).</summary>
    Jpeg = 1,

    /// <summary>PNG (enabled by default).</summary>
    Png = 2,

    /// <summary>BMP (opt-in; ImageSharp 2.1.13 lacks an unreleased BMP denial-of-service fix).</summary>
    Bmp = 4,

    /// <summary>GIF (opt-in); only the first frame is decoded.</summary>
    Gif = 8,

    /// <summary>TIFF (opt-in; ImageSharp 2.1.13 has unfixed TIFF advisories: enable only for trusted files).</summary>
    Tiff = 16,

    /// <summary>WebP (opt-in); ImageSharp 2.1.13 decodes every frame of an animated WebP, so enable it only for trusted files.</summary>
    Webp = 32,

    /// <summary>The default set: JPEG and PNG.</summary>
    Default = Jpeg | Png,
}
