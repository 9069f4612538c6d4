// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Imaging;

/// <summary>
/// ConvViz's own BMP decoder, used instead of ImageSharp 2.1.13's (whose header code sizes a buffer from the
/// untrusted pixel-data offset, ImageSharp #3074). Every header field is checked against the file length and the
/// decoding limits before any pixel buffer exists; the pixels are then read with bounds that the checks guarantee.
/// It decodes the uncompressed variants Pillow decodes, with Pillow's values: OS/2 v1 and Windows v3/v4/v5 headers,
/// 1/4/8-bit palettes, 16-bit 5-5-5, 24-bit, 32-bit, Pillow's BI_BITFIELDS layouts, bottom-up and top-down rows.
/// RLE, embedded JPEG/PNG and other bitfield layouts are refused.
/// </summary>
internal static class StrictBmpDecoder
{
    private const int FileHeaderSize = 14;
    private const uint Raw = 0;
    private const uint Rle8 = 1;
    private const uint Rle4 = 2;
    private const uint Bitfields = 3;

    /// <summary>How one pixel is read.</summary>
    private enum Layout
    {
        Palette,
        Bgr15,
        Bgr16,
        Bgr24,
        Bytes32,
    }

    /// <summary>Returns whether the data starts like a BMP file ("BM").</summary>
    /// <param name="data">The file's bytes.</param>
    /// <returns><see langword="true"/> for the BMP signature.</returns>
    public static bool IsBmp(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == (byte)'B' && data[1] == (byte)'M';

    /// <summary>Checks every header field, the palette and the pixel-data extent, without allocating pixels.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="name">The file name for messages.</param>
    /// <param name="options">The limits.</param>
    /// <returns>The checked header.</returns>
    /// <exception cref="InvalidImageFileException">A check failed.</exception>
    public static BmpHeader ReadHeader(ReadOnlySpan<byte> data, string name, ImageDecodingOptions options)
    {
        if (data.Length < FileHeaderSize + 4)
        {
            throw Fail(name, ImageFileProblem.Truncated, $"the file has only {data.Length} bytes, less than a BMP file header.");
        }

        var offset = (long)BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        if (headerSize is not (12 or 40 or 64 or 108 or 124))
        {
            throw Fail(name, ImageFileProblem.Corrupt, $"the BMP information header size is {headerSize}; only 12 (OS/2), 40, 64, 108 and 124 bytes exist.");
        }

        if (FileHeaderSize + headerSize > data.Length)
        {
            throw Fail(name, ImageFileProblem.Truncated, $"the file ends inside the {headerSize}-byte BMP information header.");
        }

        var h = data[(FileHeaderSize + 4)..];
        long width, height;
        bool topDown = false;
        int bits;
        uint compression, colors;
        int paletteEntrySize;
        long position = FileHeaderSize + headerSize;
        uint red = 0, green = 0, blue = 0, alpha = 0;
        if (headerSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(h);
            height = BinaryPrimitives.ReadUInt16LittleEndian(h[2..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(h[6..]);
            compression = Raw;
            colors = 0;
            paletteEntrySize = 3;
        }
        else
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(h);
            var rawHeight = BinaryPrimitives.ReadInt32LittleEndian(h[4..]);

            // Pillow reads a negative height as top-down when its high byte is 0xFF; any other negative value is a
            // huge unsigned height, which the pixel limit refuses below.
            topDown = rawHeight < 0 && h[7] == 0xFF;
            height = topDown ? -(long)rawHeight : (rawHeight < 0 ? (uint)rawHeight : rawHeight);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
            colors = BinaryPrimitives.ReadUInt32LittleEndian(h[28..]);
            paletteEntrySize = 4;
            if (compression == Bitfields)
            {
                if (headerSize >= 52)
                {
                    red = BinaryPrimitives.ReadUInt32LittleEndian(h[36..]);
                    green = BinaryPrimitives.ReadUInt32LittleEndian(h[40..]);
                    blue = BinaryPrimitives.ReadUInt32LittleEndian(h[44..]);
                    alpha = BinaryPrimitives.ReadUInt32LittleEndian(h[48..]);
                }
                else
                {
                    // A 40-byte header keeps the three masks after itself.
                    if (position + 12 > data.Length)
                    {
                        throw Fail(name, ImageFileProblem.Truncated, "the file ends inside the BMP colour masks.");
                    }

                    red = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)position..]);
                    green = BinaryPrimitives.ReadUInt32LittleEndian(data[((int)position + 4)..]);
                    blue = BinaryPrimitives.ReadUInt32LittleEndian(data[((int)position + 8)..]);
                    position += 12;
                }
            }
        }

        if (width <= 0 || height <= 0)
        {
            throw Fail(name, ImageFileProblem.Corrupt, $"the BMP header declares {width}×{height} pixels; both sides must be positive.");
        }

        if (width > options.MaxDimension || height > options.MaxDimension || width * height > options.MaxPixels)
        {
            throw Fail(name, ImageFileProblem.TooManyPixels, $"the header declares {width}×{height} pixels, above the limits (at most {options.MaxPixels:N0} pixels and {options.MaxDimension:N0} per side; a possible decompression bomb). Raise ImageDecodingOptions.MaxPixels / MaxDimension only for trusted files.");
        }

        if (compression is Rle8 or Rle4)
        {
            throw Fail(name, ImageFileProblem.FormatNotEnabled, $"the BMP is run-length encoded ({(compression == Rle8 ? "RLE8" : "RLE4")}), which ConvViz does not decode. Convert it to PNG or an uncompressed BMP.");
        }

        if (compression is 4 or 5)
        {
            throw Fail(name, ImageFileProblem.FormatNotEnabled, $"the BMP wraps a {(compression == 4 ? "JPEG" : "PNG")} stream, which ConvViz does not decode inside a BMP. Convert it to a plain PNG or JPEG file.");
        }

        if (compression is not (Raw or Bitfields))
        {
            throw Fail(name, ImageFileProblem.Corrupt, $"the BMP compression type {compression} does not exist.");
        }

        Layout layout;
        var shifts = (Red: 16, Green: 8, Blue: 0, Alpha: -1);
        switch (bits)
        {
            case 1 or 4 or 8 when compression == Raw:
                layout = Layout.Palette;
                break;
            case 16 when compression == Raw || (red, green, blue) == (0x7C00u, 0x3E0u, 0x1Fu):
                layout = Layout.Bgr15;
                break;
            case 16 when (red, green, blue) == (0xF800u, 0x7E0u, 0x1Fu):
                layout = Layout.Bgr16;
                break;
            case 24 when compression == Raw || (red, green, blue) == (0xFF0000u, 0xFF00u, 0xFFu):
                layout = Layout.Bgr24;
                break;
            case 32 when compression == Raw:
                layout = Layout.Bytes32;
                break;
            case 32 when Bitfields32(red, green, blue, alpha) is { } found:
                layout = Layout.Bytes32;
                shifts = found;
                break;
            case 1 or 4 or 8 or 16 or 24 or 32:
                throw Fail(name, ImageFileProblem.FormatNotEnabled, $"the {bits}-bit BMP uses the colour masks R={red:X}, G={green:X}, B={blue:X}, A={alpha:X}, a layout Pillow and ConvViz do not decode. Convert it to PNG.");
            default:
                throw Fail(name, ImageFileProblem.Corrupt, $"the BMP declares {bits} bits per pixel; only 1, 4, 8, 16, 24 and 32 exist.");
        }

        var palette = Array.Empty<Rgba32>();
        if (layout == Layout.Palette)
        {
            var count = colors != 0 ? colors : 1u << bits;
            if (count > 65536)
            {
                throw Fail(name, ImageFileProblem.Corrupt, $"the BMP declares {count:N0} palette colours; a {bits}-bit image has at most {1 << bits} (and Pillow refuses more than 65,536).");
            }

            if (offset == FileHeaderSize + headerSize)
            {
                // Pillow's rule for writers that leave the palette out of the offset.
                offset += 4 * count;
            }

            if (position + ((long)paletteEntrySize * count) > data.Length)
            {
                throw Fail(name, ImageFileProblem.Truncated, $"the file ends inside the {count}-colour BMP palette.");
            }

            // Only the first 256 entries can be indexed; beyond the palette Pillow's palette is a grey ramp.
            palette = new Rgba32[256];
            for (var i = 0; i < palette.Length; i++)
            {
                palette[i] = i < count
                    ? new Rgba32(data[(int)position + (i * paletteEntrySize) + 2], data[(int)position + (i * paletteEntrySize) + 1], data[(int)position + (i * paletteEntrySize)], 255)
                    : new Rgba32((byte)i, (byte)i, (byte)i, 255);
            }

            position += (long)paletteEntrySize * count;
        }

        if (offset == 0)
        {
            offset = position;
        }

        if (offset > data.Length)
        {
            throw Fail(name, ImageFileProblem.Corrupt, $"the BMP pixel-data offset {offset:N0} points past the end of the file ({data.Length:N0} bytes).");
        }

        if (offset < position)
        {
            throw Fail(name, ImageFileProblem.Corrupt, $"the BMP pixel-data offset {offset:N0} points into the headers or the palette (which end at byte {position:N0}).");
        }

        var stride = ((width * bits) + 31) / 32 * 4;
        if (offset + (stride * height) > data.Length)
        {
            throw Fail(name, ImageFileProblem.Truncated, $"the BMP pixel data needs {stride * height:N0} bytes from offset {offset:N0}, but the file has only {data.Length - offset:N0} (truncated download or copy). Replace the file.");
        }

        return new BmpHeader((int)width, (int)height, bits, topDown, (int)offset, (int)stride, (int)layout, shifts, palette);
    }

    /// <summary>Decodes a checked BMP.</summary>
    /// <typeparam name="TPixel">The pixel type.</typeparam>
    /// <param name="data">The whole file.</param>
    /// <param name="header">The header from <see cref="ReadHeader"/> for the same data.</param>
    /// <param name="configuration">The ImageSharp configuration for the image.</param>
    /// <returns>The image; the caller disposes it.</returns>
    public static Image<TPixel> Decode<TPixel>(ReadOnlySpan<byte> data, BmpHeader header, Configuration configuration)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var image = new Image<TPixel>(configuration, header.Width, header.Height);
        var row = new Rgba32[header.Width];
        var layout = (Layout)header.Layout;
        var (rs, gs, bs, alphaShift) = header.Shifts;
        for (var fileRow = 0; fileRow < header.Height; fileRow++)
        {
            var source = data.Slice(header.Offset + (fileRow * header.Stride), header.Stride);
            for (var x = 0; x < header.Width; x++)
            {
                switch (layout)
                {
                    case Layout.Palette:
                        var bitOffset = x * header.Bits;
                        var index = (source[bitOffset >> 3] >> (8 - header.Bits - (bitOffset & 7))) & ((1 << header.Bits) - 1);
                        row[x] = header.Palette[index];
                        break;
                    case Layout.Bgr15:
                        var v15 = BinaryPrimitives.ReadUInt16LittleEndian(source[(x * 2)..]);
                        row[x] = new Rgba32((byte)(((v15 >> 10) & 31) * 255 / 31), (byte)(((v15 >> 5) & 31) * 255 / 31), (byte)((v15 & 31) * 255 / 31), 255);
                        break;
                    case Layout.Bgr16:
                        var v16 = BinaryPrimitives.ReadUInt16LittleEndian(source[(x * 2)..]);
                        row[x] = new Rgba32((byte)(((v16 >> 11) & 31) * 255 / 31), (byte)(((v16 >> 5) & 63) * 255 / 63), (byte)((v16 & 31) * 255 / 31), 255);
                        break;
                    case Layout.Bgr24:
                        row[x] = new Rgba32(source[(x * 3) + 2], source[(x * 3) + 1], source[x * 3], 255);
                        break;
                    default:
                        var v32 = BinaryPrimitives.ReadUInt32LittleEndian(source[(x * 4)..]);
                        row[x] = new Rgba32((byte)(v32 >> rs), (byte)(v32 >> gs), (byte)(v32 >> bs), alphaShift < 0 ? (byte)255 : (byte)(v32 >> alphaShift));
                        break;
                }
            }

            var y = header.TopDown ? fileRow : header.Height - 1 - fileRow;
            PixelOperations<TPixel>.Instance.FromRgba32(configuration, row, image.DangerousGetPixelRowMemory(y).Span);
        }

        return image;
    }

    // Pillow's 32-bit BI_BITFIELDS layouts (R, G, B, A masks); all-zero masks are read as BGRA.
    private static (int Red, int Green, int Blue, int Alpha)? Bitfields32(uint red, uint green, uint blue, uint alpha) => (red, green, blue, alpha) switch
    {
        (0xFF0000, 0xFF00, 0xFF, 0) => (16, 8, 0, -1),
        (0xFF000000, 0xFF0000, 0xFF00, 0) => (24, 16, 8, -1),
        (0xFF000000, 0xFF0000, 0xFF00, 0xFF) => (24, 16, 8, 0),
        (0xFF, 0xFF00, 0xFF0000, 0xFF000000) => (0, 8, 16, 24),
        (0xFF0000, 0xFF00, 0xFF, 0xFF000000) => (16, 8, 0, 24),
        (0, 0, 0, 0) => (16, 8, 0, 24),
        _ => null,
    };

    private static InvalidImageFileException Fail(string name, ImageFileProblem problem, string detail) => new(name, problem, detail);
}

/// <summary>A BMP header that passed <see cref="StrictBmpDecoder.ReadHeader"/>: every read it implies is inside the file.</summary>
/// <param name="Width">The width.</param>
/// <param name="Height">The height.</param>
/// <param name="Bits">Bits per pixel.</param>
/// <param name="TopDown">Whether the first stored row is the top one.</param>
/// <param name="Offset">Where the pixel rows start.</param>
/// <param name="Stride">Bytes per stored row (padded to 4).</param>
/// <param name="Layout">How a pixel is read (internal code).</param>
/// <param name="Shifts">Bit shifts of the 32-bit channels (alpha −1 when absent).</param>
/// <param name="Palette">256 palette colours for palette images, else empty.</param>
internal sealed record BmpHeader(int Width, int Height, int Bits, bool TopDown, int Offset, int Stride, int Layout, (int Red, int Green, int Blue, int Alpha) Shifts, Rgba32[] Palette);
