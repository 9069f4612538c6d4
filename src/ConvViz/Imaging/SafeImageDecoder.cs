// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Imaging;

/// <summary>
/// Decodes untrusted image bytes with only the enabled formats registered, after checking size, header dimensions and
/// structural completeness. BMP, netpbm and JPEG go to ConvViz's own decoders (<see cref="StrictBmpDecoder"/>,
/// <see cref="NetpbmDecoder"/>, and <see cref="JpegDecoder"/>, whose pixels are identical to Pillow's); ImageSharp decodes the rest. Every failure becomes an <see cref="InvalidImageFileException"/> naming the file.
/// </summary>
internal static class SafeImageDecoder
{
    private static readonly ConcurrentDictionary<ImageFormats, Configuration> s_configurations = new();

    /// <summary>Gets the ImageSharp configuration holding only the decoders of <paramref name="formats"/>, one thread per decode.</summary>
    /// <param name="formats">The enabled formats.</param>
    /// <returns>A shared, thread-safe configuration.</returns>
    public static Configuration GetConfiguration(ImageFormats formats) => s_configurations.GetOrAdd(formats, CreateConfiguration);

    /// <summary>Reads a file fully after checking its size.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">The limits.</param>
    /// <returns>The file's bytes.</returns>
    /// <exception cref="InvalidImageFileException">The file is missing, unreadable, not a regular file, empty or too large.</exception>
    public static byte[] ReadFile(string path, ImageDecodingOptions options)
    {
        EnsureRegularFile(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            return ReadBounded(stream, path, options);
        }
        catch (Exception ex) when (ex is (IOException and not InvalidImageFileException) or UnauthorizedAccessException)
        {
            throw new InvalidImageFileException(path, ImageFileProblem.Unreadable, $"the file cannot be read ({ex.Message}).", ex);
        }
    }

    /// <summary>
    /// Refuses a path whose type (after following links) is not a regular file, without opening it: opening a FIFO
    /// blocks until a writer comes, and opening a device can have side effects or yield endless data.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidImageFileException">The path is a FIFO, a device or a socket.</exception>
    public static void EnsureRegularFile(string path)
    {
        var kind = FileTypeProbe.GetKind(path);
        if (kind is FileKind.Regular or FileKind.Unknown or FileKind.Directory)
        {
            // Unknown includes a missing file or a dangling link, and opening a directory fails at once too: both are
            // reported as Unreadable by the open.
            return;
        }

        string? target = null;
        try
        {
            target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName;
        }
        catch (IOException)
        {
        }

        var what = target is null ? $"the path is {FileTypeProbe.Describe(kind)}" : $"the path is a link to {target}, which is {FileTypeProbe.Describe(kind)}";
        var why = kind == FileKind.Fifo ? " (reading a FIFO waits for a writer, possibly forever)" : string.Empty;
        throw new InvalidImageFileException(path, ImageFileProblem.NotARegularFile, $"{what}, not a regular file, so it was refused without being opened{why}. Remove it from the image folder, or use BadFilePolicy.Skip.");
    }

    /// <summary>Reads a stream fully, enforcing the file-size limit.</summary>
    /// <param name="stream">The stream; not disposed.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <param name="options">The limits.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="InvalidImageFileException">The stream is empty or too large.</exception>
    public static byte[] ReadBounded(Stream stream, string name, ImageDecodingOptions options)
    {
        if (stream.CanSeek)
        {
            var remaining = stream.Length - stream.Position;
            CheckSize(remaining, name, options);
            var buffer = new byte[remaining];
            stream.ReadExactly(buffer);
            return buffer;
        }

        using var copy = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (copy.Length + read > options.MaxFileSizeBytes)
            {
                CheckSize(copy.Length + read, name, options);
            }

            copy.Write(chunk, 0, read);
        }

        CheckSize(copy.Length, name, options);
        return copy.ToArray();
    }

    /// <summary>Checks the header (format, dimensions, completeness) without decoding pixels.</summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <param name="options">The limits.</param>
    /// <returns>The image's width and height.</returns>
    /// <exception cref="InvalidImageFileException">The data fails a check.</exception>
    public static (int Width, int Height) Validate(byte[] data, string name, ImageDecodingOptions options)
    {
        CheckSize(data.LongLength, name, options);
        switch (ReadOwnHeader(data, name, options))
        {
            case BmpHeader bmp:
                return (bmp.Width, bmp.Height);
            case NetpbmHeader netpbm:
                return (netpbm.Width, netpbm.Height);
        }

        if (IsOwnJpeg(data, options))
        {
            var jpeg = ReadJpegHeader(data, name, options);
            return (jpeg.Width, jpeg.Height);
        }

        var configuration = GetConfiguration(options.Formats);
        var format = Image.DetectFormat(configuration, data);
        if (format is null)
        {
            var other = Image.DetectFormat(Configuration.Default, data);
            if (other is not null && FlagName(other) is { } flag)
            {
                throw new InvalidImageFileException(name, ImageFileProblem.FormatNotEnabled, $"the content is {other.Name}, which is not enabled. Add ImageFormats.{flag} to ImageDecodingOptions.Formats if you trust the file (the decoder is chosen by content, not by extension).");
            }

            if (other is not null)
            {
                throw new InvalidImageFileException(name, ImageFileProblem.FormatNotEnabled, $"the content is {other.Name}, which ConvViz does not decode. Convert the file to PNG or JPEG.");
            }

            throw new InvalidImageFileException(name, ImageFileProblem.UnknownFormat, $"the content is not an image in an enabled format ({options.Formats}); the file extension does not matter. Delete or replace the file, or use BadFilePolicy.Skip.");
        }

        if (format is JpegFormat)
        {
            // ImageSharp also takes a JFIF or Exif header without the start-of-image marker; Pillow does not open it.
            throw new InvalidImageFileException(name, ImageFileProblem.Corrupt, "the data has a JPEG (JFIF/Exif) header but does not start with the JPEG start-of-image marker 0xFF 0xD8, so it is not a JPEG file Pillow or ConvViz opens. Replace the file.");
        }

        if (!options.AllowTruncatedImages)
        {
            var complete = format switch
            {
                JpegFormat => ImageStructure.IsCompleteJpeg(data),
                PngFormat => ImageStructure.IsCompletePng(data),
                _ => true,
            };
            if (!complete)
            {
                throw new InvalidImageFileException(name, ImageFileProblem.Truncated, $"the {format.Name} data ends before the image is complete (truncated download or copy). Replace the file, or set ImageDecodingOptions.AllowTruncatedImages to accept it.");
            }
        }

        IImageInfo? info;
        try
        {
            info = Image.Identify(configuration, data, out _);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.Corrupt, $"the {format.Name} header is corrupt ({ex.Message}).", ex);
        }

        if (info is null || info.Width <= 0 || info.Height <= 0)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.Corrupt, $"the {format.Name} header declares no valid dimensions.");
        }

        if (info.Width > options.MaxDimension || info.Height > options.MaxDimension || (long)info.Width * info.Height > options.MaxPixels)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.TooManyPixels, $"the header declares {info.Width}×{info.Height} pixels, above the limits (at most {options.MaxPixels:N0} pixels and {options.MaxDimension:N0} per side; a possible decompression bomb). Raise ImageDecodingOptions.MaxPixels / MaxDimension only for trusted files.");
        }

        return (info.Width, info.Height);
    }

    /// <summary>Validates and decodes.</summary>
    /// <typeparam name="TPixel">The pixel type to convert to.</typeparam>
    /// <param name="data">The file's bytes.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <param name="options">The limits.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    /// <exception cref="InvalidImageFileException">The data fails a check or cannot be decoded.</exception>
    public static Image<TPixel> Decode<TPixel>(byte[] data, string name, ImageDecodingOptions options)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        CheckSize(data.LongLength, name, options);
        switch (ReadOwnHeader(data, name, options))
        {
            case BmpHeader bmp:
                return StrictBmpDecoder.Decode<TPixel>(data, bmp, GetConfiguration(options.Formats));
            case NetpbmHeader netpbm:
                return NetpbmDecoder.Decode<TPixel>(data, netpbm, GetConfiguration(options.Formats));
        }

        if (IsOwnJpeg(data, options))
        {
            return DecodeJpeg<TPixel>(data, name, options);
        }

        Validate(data, name, options);
        try
        {
            return Image.Load<TPixel>(GetConfiguration(options.Formats), data);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.Corrupt, $"the image data is corrupt and cannot be decoded ({ex.Message}).", ex);
        }
    }

    /// <summary>
    /// Recognises the formats ConvViz decodes itself (BMP, netpbm) and checks their headers; ImageSharp never sees them.
    /// </summary>
    /// <returns>A <see cref="BmpHeader"/>, a <see cref="NetpbmHeader"/>, or <see langword="null"/> for other content.</returns>
    private static object? ReadOwnHeader(byte[] data, string name, ImageDecodingOptions options)
    {
        var (format, flag) = StrictBmpDecoder.IsBmp(data) ? ("BMP", ImageFormats.Bmp) : NetpbmDecoder.IsNetpbm(data) ? ("netpbm (PGM/PPM)", ImageFormats.Netpbm) : (null, ImageFormats.None);
        if (format is null)
        {
            return null;
        }

        if (!options.Formats.HasFlag(flag))
        {
            throw new InvalidImageFileException(name, ImageFileProblem.FormatNotEnabled, $"the content is {format}, which is not enabled. Add ImageFormats.{flag} to ImageDecodingOptions.Formats (the decoder is chosen by content, not by extension).");
        }

        return flag == ImageFormats.Bmp ? StrictBmpDecoder.ReadHeader(data, name, options) : NetpbmDecoder.ReadHeader(data, name, options);
    }

    /// <summary>Whether the data goes to ConvViz's own JPEG decoder: JPEG is enabled and the data starts with the SOI marker.</summary>
    private static bool IsOwnJpeg(byte[] data, ImageDecodingOptions options) =>
        options.Formats.HasFlag(ImageFormats.Jpeg) && data.Length >= 2 && data[0] == 0xFF && data[1] == 0xD8;

    /// <summary>Checks completeness (unless truncated files are allowed) and reads the JPEG header, checking the limits.</summary>
    private static JpegDecoder ReadJpegHeader(byte[] data, string name, ImageDecodingOptions options)
    {
        if (!options.AllowTruncatedImages && JpegDecoder.IsJpeg(data) && !ImageStructure.IsCompleteJpeg(data))
        {
            throw new InvalidImageFileException(name, ImageFileProblem.Truncated, "the JPEG data ends before the image is complete (truncated download or copy). Replace the file, or set ImageDecodingOptions.AllowTruncatedImages to accept it.");
        }

        var decoder = new JpegDecoder(data, name, options);
        decoder.ReadHeader();
        return decoder;
    }

    /// <summary>Decodes a JPEG with <see cref="JpegDecoder"/> (pixels identical to Pillow's) into an image.</summary>
    private static Image<TPixel> DecodeJpeg<TPixel>(byte[] data, string name, ImageDecodingOptions options)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var decoder = ReadJpegHeader(data, name, options);
        var configuration = GetConfiguration(options.Formats);
        var (width, height) = (decoder.Width, decoder.Height);
        var image = new Image<TPixel>(configuration, width, height);
        byte[]? rented = null;
        try
        {
            if (typeof(TPixel) == typeof(Rgb24) && image.DangerousTryGetSinglePixelMemory(out var memory))
            {
                decoder.Decode(MemoryMarshal.AsBytes(memory.Span));
                return image;
            }

            var rowBytes = width * 3;
            rented = ArrayPool<byte>.Shared.Rent(checked(rowBytes * height));
            decoder.Decode(rented);
            for (var y = 0; y < height; y++)
            {
                PixelOperations<TPixel>.Instance.FromRgb24Bytes(configuration, rented.AsSpan(y * rowBytes, rowBytes), image.DangerousGetPixelRowMemory(y).Span, width);
            }

            return image;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            image.Dispose();
            if (ex is InvalidImageFileException)
            {
                throw;
            }

            throw new InvalidImageFileException(name, ImageFileProblem.Corrupt, $"the JPEG data is corrupt and cannot be decoded ({ex.Message}).", ex);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void CheckSize(long length, string name, ImageDecodingOptions options)
    {
        if (length == 0)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.Empty, "the file is empty (0 bytes). Delete it or use BadFilePolicy.Skip.");
        }

        if (length > options.MaxFileSizeBytes)
        {
            throw new InvalidImageFileException(name, ImageFileProblem.FileTooLarge, $"the file has {length:N0} bytes, above ImageDecodingOptions.MaxFileSizeBytes ({options.MaxFileSizeBytes:N0}).");
        }
    }

    private static string? FlagName(IImageFormat format) => format switch
    {
        GifFormat => nameof(ImageFormats.Gif),
        TiffFormat => nameof(ImageFormats.Tiff),
        WebpFormat => nameof(ImageFormats.Webp),
        JpegFormat => nameof(ImageFormats.Jpeg),
        PngFormat => nameof(ImageFormats.Png),
        _ => null,
    };

    private static Configuration CreateConfiguration(ImageFormats formats)
    {
        var modules = new List<IConfigurationModule>();
        if (formats.HasFlag(ImageFormats.Jpeg))
        {
            modules.Add(new JpegConfigurationModule());
        }

        if (formats.HasFlag(ImageFormats.Png))
        {
            modules.Add(new PngConfigurationModule());
        }

        if (formats.HasFlag(ImageFormats.Gif))
        {
            modules.Add(new GifConfigurationModule());
        }

        if (formats.HasFlag(ImageFormats.Tiff))
        {
            modules.Add(new TiffConfigurationModule());
        }

        if (formats.HasFlag(ImageFormats.Webp))
        {
            modules.Add(new WebpConfigurationModule());
        }

        var configuration = new Configuration([.. modules])
        {
            // Parallelism comes from ConvViz's own workers; ImageSharp's row parallelism is slower for small images.
            MaxDegreeOfParallelism = 1,
        };
        var manager = configuration.ImageFormatsManager;
        if (formats.HasFlag(ImageFormats.Jpeg))
        {
            manager.SetDecoder(JpegFormat.Instance, new SixLabors.ImageSharp.Formats.Jpeg.JpegDecoder { IgnoreMetadata = true });
        }

        if (formats.HasFlag(ImageFormats.Png))
        {
            manager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
        }

        if (formats.HasFlag(ImageFormats.Gif))
        {
            manager.SetDecoder(GifFormat.Instance, new GifDecoder { IgnoreMetadata = true, DecodingMode = FrameDecodingMode.First });
        }

        if (formats.HasFlag(ImageFormats.Tiff))
        {
            manager.SetDecoder(TiffFormat.Instance, new TiffDecoder { IgnoreMetadata = true, DecodingMode = FrameDecodingMode.First });
        }

        if (formats.HasFlag(ImageFormats.Webp))
        {
            manager.SetDecoder(WebpFormat.Instance, new WebpDecoder { IgnoreMetadata = true });
        }

        return configuration;
    }
}
