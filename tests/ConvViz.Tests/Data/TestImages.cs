// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Data;

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "convviz-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Generates test images.</summary>
internal static class TestImages
{
    public static Image<Rgb24> Solid(int width, int height, Rgb24 color)
    {
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(a =>
        {
            for (var y = 0; y < a.Height; y++)
            {
                a.GetRowSpan(y).Fill(color);
            }
        });
        return image;
    }

    /// <summary>Pixel (x, y) = (x · 10 + 1, y · 10 + 2, 3) so position can be read back from the values.</summary>
    public static Image<Rgb24> Coordinates(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)((x * 10) + 1), (byte)((y * 10) + 2), 3);
            }
        }

        return image;
    }

    public static string SavePng(Image image, string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        image.SaveAsPng(path);
        return path;
    }

    public static string SaveJpeg(Image image, string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        image.SaveAsJpeg(path, new JpegEncoder { Quality = 95 });
        return path;
    }

    public static string WriteSolidPng(string path, Rgb24 color, int size = 8)
    {
        using var image = Solid(size, size, color);
        return SavePng(image, path);
    }

    public static byte[] PngBytes(Image image)
    {
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    public static byte[] JpegBytes(Image image)
    {
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = 90 });
        return stream.ToArray();
    }

    /// <summary>Rewrites the IHDR dimensions of a PNG (with a valid CRC), leaving the pixel data as it is.</summary>
    public static byte[] WithDeclaredSize(byte[] png, int width, int height)
    {
        var copy = (byte[])png.Clone();
        BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(20), height);
        var crc = Crc32(copy.AsSpan(12, 17));
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(29), crc);
        return copy;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}

/// <summary>Collects formatted log messages.</summary>
internal sealed class ListLogger : ILogger
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
