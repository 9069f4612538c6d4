// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Imaging;

/// <summary>
/// ConvViz's own decoder for binary netpbm images, P5 (PGM, grey) and P6 (PPM, colour), read the way Pillow's
/// PpmImagePlugin reads them: header tokens separated by whitespace, <c>#</c> comments, one whitespace byte before the
/// samples; samples are scaled to 8 bits as <c>round(v / maxval · 255)</c> (half to even, values above maxval clip).
/// P5 with a maxval above 255 is refused: Pillow opens it as 32-bit integers, which Keras' RGB conversion clips to white.
/// The plain (text) variants P1–P3 and the 1-bit P4 are refused too.
/// </summary>
internal static class NetpbmDecoder
{
    private const int MaxTokenLength = 10; // Pillow's limit

    /// <summary>Returns whether the data starts like a netpbm file ("P1" … "P6" followed by whitespace).</summary>
    /// <param name="data">The file's bytes.</param>
    /// <returns><see langword="true"/> for a netpbm signature.</returns>
    public static bool IsNetpbm(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == (byte)'P' && data[1] is >= (byte)'1' and <= (byte)'6' && IsWhitespace(data[2]);

    /// <summary>Checks the header and the sample count against the file length and the limits.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="name">The file name for messages.</param>
    /// <param name="options">The limits.</param>
    /// <returns>The checked header.</returns>
    /// <exception cref="InvalidImageFileException">A check failed.</exception>
    public static NetpbmHeader ReadHeader(ReadOnlySpan<byte> data, string name, ImageDecodingOptions options)
    {
        var kind = data[1];
        if (kind is not ((byte)'5' or (byte)'6'))
        {
            var what = kind switch
            {
                (byte)'4' => "a 1-bit bitmap (PBM, P4)",
                _ => $"a plain-text netpbm file (P{(char)kind})",
            };
            throw new InvalidImageFileException(name, ImageFileProblem.FormatNotEnabled, $"the content is {what}; ConvViz decodes only binary PGM (P5) and PPM (P6). Convert it to PNG.");
        }

        var position = 3;
        var width = ReadToken(data, ref position, name, "width");
        var height = ReadToken(data, ref position, name, "height");
        var maxValue = ReadToken(data, ref position, name, "maxval");
        if (width <= 0 || height <= 0)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.Corrupt, $"the netpbm header declares {width}×{height} pixels; both sides must be positive.");
        }

        if (width > options.MaxDimension || height > options.MaxDimension || width * height > options.MaxPixels)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.TooManyPixels, $"the header declares {width}×{height} pixels, above the limits (at most {options.MaxPixels:N0} pixels and {options.MaxDimension:N0} per side; a possible decompression bomb). Raise ImageDecodingOptions.MaxPixels / MaxDimension only for trusted files.");
        }

        if (maxValue is < 1 or > 65535)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.Corrupt, $"the netpbm maxval is {maxValue}; it must be between 1 and 65535.");
        }

        var channels = kind == (byte)'6' ? 3 : 1;
        if (channels == 1 && maxValue > 255)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.FormatNotEnabled, $"the content is a 16-bit PGM (maxval {maxValue}). Pillow opens it as 32-bit integers, which Keras' RGB conversion clips to white, so ConvViz does not decode it. Convert it to an 8-bit PGM or a 16-bit PNG.");
        }

        var bytesPerSample = maxValue < 256 ? 1 : 2;
        var needed = width * height * channels * bytesPerSample;
        if (position + needed > data.Length)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.Truncated, $"the netpbm samples need {needed:N0} bytes after the header, but the file has only {data.Length - position:N0} (truncated download or copy). Replace the file.");
        }

        return new NetpbmHeader((int)width, (int)height, channels, (int)maxValue, position);
    }

    /// <summary>Decodes a checked netpbm image.</summary>
    /// <typeparam name="TPixel">The pixel type.</typeparam>
    /// <param name="data">The whole file.</param>
    /// <param name="header">The header from <see cref="ReadHeader"/> for the same data.</param>
    /// <param name="configuration">The ImageSharp configuration for the image.</param>
    /// <returns>The image; the caller disposes it.</returns>
    public static Image<TPixel> Decode<TPixel>(ReadOnlySpan<byte> data, NetpbmHeader header, Configuration configuration)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var wide = header.MaxValue > 255;
        var scale = new byte[wide ? 65536 : 256];
        for (var v = 0; v < scale.Length; v++)
        {
            scale[v] = header.MaxValue == 255 ? (byte)v : (byte)Math.Min(255.0, Math.Round((double)v / header.MaxValue * 255.0, MidpointRounding.ToEven));
        }

        var image = new Image<TPixel>(configuration, header.Width, header.Height);
        var row = new Rgba32[header.Width];
        var sampleBytes = wide ? 2 : 1;
        var rowBytes = header.Width * header.Channels * sampleBytes;
        for (var y = 0; y < header.Height; y++)
        {
            var source = data.Slice(header.Offset + (y * rowBytes), rowBytes);
            for (var x = 0; x < header.Width; x++)
            {
                if (header.Channels == 1)
                {
                    var grey = scale[source[x]];
                    row[x] = new Rgba32(grey, grey, grey, 255);
                }
                else if (wide)
                {
                    var s = source[(x * 6)..];
                    row[x] = new Rgba32(scale[BinaryPrimitives.ReadUInt16BigEndian(s)], scale[BinaryPrimitives.ReadUInt16BigEndian(s[2..])], scale[BinaryPrimitives.ReadUInt16BigEndian(s[4..])], 255);
                }
                else
                {
                    row[x] = new Rgba32(scale[source[x * 3]], scale[source[(x * 3) + 1]], scale[source[(x * 3) + 2]], 255);
                }
            }

            PixelOperations<TPixel>.Instance.FromRgba32(configuration, row, image.DangerousGetPixelRowMemory(y).Span);
        }

        return image;
    }

    // Pillow's token reader: skip leading whitespace, '#' skips to the end of the line (also inside a token), the
    // token ends at (and consumes) one whitespace byte; at most 10 characters. Only decimal digits are accepted.
    private static long ReadToken(ReadOnlySpan<byte> data, ref int position, string name, string what)
    {
        var length = 0;
        long value = 0;
        while (position < data.Length)
        {
            var c = data[position++];
            if (IsWhitespace(c))
            {
                if (length == 0)
                {
                    continue;
                }

                break;
            }

            if (c == (byte)'#')
            {
                while (position < data.Length && data[position] is not ((byte)'\r' or (byte)'\n'))
                {
                    position++;
                }

                position = Math.Min(position + 1, data.Length);
                continue;
            }

            if (c is < (byte)'0' or > (byte)'9' || ++length > MaxTokenLength)
            {
                throw new InvalidImageFileException(name, ImageFileProblem.Corrupt, $"the netpbm {what} is not a decimal number of at most {MaxTokenLength} digits.");
            }

            value = (value * 10) + (c - '0');
        }

        if (length == 0)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.Truncated, $"the file ends before the netpbm header's {what}.");
        }

        return value;
    }

    private static bool IsWhitespace(byte c) => c is 0x20 or 0x09 or 0x0A or 0x0B or 0x0C or 0x0D;
}

/// <summary>A netpbm header that passed <see cref="NetpbmDecoder.ReadHeader"/>: every sample it implies is inside the file.</summary>
/// <param name="Width">The width.</param>
/// <param name="Height">The height.</param>
/// <param name="Channels">1 (P5) or 3 (P6).</param>
/// <param name="MaxValue">The maxval, 1 to 65535.</param>
/// <param name="Offset">Where the samples start.</param>
internal sealed record NetpbmHeader(int Width, int Height, int Channels, int MaxValue, int Offset);
