// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Imaging;

/// <summary>
/// The image formats ConvViz may decode. JPEG, PNG, BMP and binary netpbm (PGM/PPM) are enabled by default, the formats
/// of Keras' <c>flow_from_directory</c> list except TIFF: ImageSharp 2.1.13 has unfixed advisories on its TIFF paths, so
/// TIFF, GIF and WebP are opt-in. BMP and netpbm are decoded by ConvViz's own strict decoders, not ImageSharp's (whose
/// BMP decoder lacks the unreleased fix for ImageSharp #3074). The decoder is chosen by file content, never by
/// extension, so a disabled format stays disabled even when a file is renamed.
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

    /// <summary>
    /// BMP (enabled by default): uncompressed 1/4/8-bit palette, 16/24/32-bit and Pillow's BI_BITFIELDS layouts, decoded
    /// by ConvViz's own strict decoder; RLE and JPEG/PNG inside BMP are refused.
    /// </summary>
    Bmp = 4,

    /// <summary>GIF (opt-in); only the first frame is decoded.</summary>
    Gif = 8,

    /// <summary>TIFF (opt-in; ImageSharp 2.1.13 has unfixed TIFF advisories: enable only for trusted files).</summary>
    Tiff = 16,

    /// <summary>WebP (opt-in); ImageSharp 2.1.13 decodes every frame of an animated WebP, so enable it only for trusted files.</summary>
    Webp = 32,

    /// <summary>
    /// Binary netpbm (enabled by default): 8-bit PGM (P5) and 8/16-bit PPM (P6), decoded by ConvViz's own strict decoder
    /// with Pillow's scaling to 8 bits. Plain-text netpbm, 1-bit PBM and 16-bit PGM are refused.
    /// </summary>
    Netpbm = 64,

    /// <summary>The default set: JPEG, PNG, BMP and netpbm (Keras' list without TIFF).</summary>
    Default = Jpeg | Png | Bmp | Netpbm,
}
