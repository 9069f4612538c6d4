// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Imaging;

/// <summary>
/// Limits and formats for decoding untrusted image files. The header is read first (without decoding) and checked
/// against the pixel limits, so a decompression bomb is rejected before any pixel buffer is allocated. Metadata
/// (EXIF, ICC, XMP) is never decoded.
/// </summary>
public sealed record ImageDecodingOptions
{
    /// <summary>Gets the shared default options (JPEG, PNG, BMP and netpbm, Pillow's pixel limit, 64 MiB files).</summary>
    public static ImageDecodingOptions Default { get; } = new();

    /// <summary>Gets the enabled formats; decoders for other formats are not registered at all.</summary>
    /// <value>The default value is <see cref="ImageFormats.Default"/> (JPEG, PNG, BMP and netpbm; TIFF, GIF and WebP are opt-in).</value>
    public ImageFormats Formats
    {
        get;
        init
        {
            if (value == ImageFormats.None || (value & ~(ImageFormats.Jpeg | ImageFormats.Png | ImageFormats.Bmp | ImageFormats.Gif | ImageFormats.Tiff | ImageFormats.Webp | ImageFormats.Netpbm)) != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(Formats), value, "Enable at least one known image format.");
            }

            field = value;
        }
    } = ImageFormats.Default;

    /// <summary>Gets the largest accepted width × height, read from the header before decoding.</summary>
    /// <value>The default value is 89,478,485 pixels, Pillow's <c>MAX_IMAGE_PIXELS</c>.</value>
    public long MaxPixels { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value); field = value; } } = 89_478_485;

    /// <summary>Gets the longest accepted side in pixels, read from the header before decoding.</summary>
    /// <value>The default value is 16,384 pixels.</value>
    public int MaxDimension { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value); field = value; } } = 16_384;

    /// <summary>Gets the largest accepted file size in bytes.</summary>
    /// <value>The default value is 64 MiB.</value>
    public long MaxFileSizeBytes { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value); field = value; } } = 64L * 1024 * 1024;

    /// <summary>
    /// Gets a value indicating whether JPEG and PNG files that end before their end marker are accepted (ImageSharp
    /// then fills the missing part). Pillow, and therefore Keras, rejects them. BMP and netpbm files with missing pixel
    /// data are always refused.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowTruncatedImages { get; init; }
}
