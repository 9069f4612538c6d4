// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.IO.Compression;
using System.Security.Cryptography;
using ConvViz.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Parity;

/// <summary>
/// JPEG files of every variant ConvViz's own decoder reads (baseline and progressive at 4:4:4, 4:2:2, 4:2:0, 4:4:0 and
/// 4:1:1, greyscale, CMYK, YCCK, RGB-coded, restart markers, no Huffman tables, odd and tiny sizes, a truncated file), against the RGB
/// bytes Pillow 9.4 with libjpeg-turbo 2.1 decodes from the same files and converts with <c>convert("RGB")</c>, as
/// Keras' <c>load_img</c> does (<c>eng/make-jpeg-fixtures.py</c>). Every byte must be equal.
/// </summary>
public sealed class PillowJpegTests
{
    private static readonly PillowJpegFixture s_fixture = ParityFixtures.Read<PillowJpegFixture>("jpeg/jpeg.json");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in s_fixture.Cases)
        {
            data.Add(c.File);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_PillowJpeg_EqualsPillowBytes(string file)
    {
        var expected = s_fixture.Cases.Single(c => c.File == file);
        var path = FixturePath(file);
        var options = new ImageDecodingOptions { AllowTruncatedImages = expected.AllowTruncated };
        var data = SafeImageDecoder.ReadFile(path, options);

        if (expected.Expect == "refuse")
        {
            var error = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgb24>(data, path, options));
            Assert.Equal(ImageFileProblem.Truncated, error.Problem);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            return;
        }

        var size = SafeImageDecoder.Validate(data, path, options);
        using var rgb = SafeImageDecoder.Decode<Rgb24>(data, path, options);
        using var rgba = SafeImageDecoder.Decode<Rgba32>(data, path, options);

        Assert.Equal((expected.Width, expected.Height), size);
        Assert.Equal((expected.Width, expected.Height), (rgb.Width, rgb.Height));
        var actual = new byte[expected.Width * expected.Height * 3];
        rgb.CopyPixelDataTo(actual);
        if (expected.Expected is { } bytesFile)
        {
            var reference = ReadGzip(FixturePath(bytesFile));
            if (!reference.AsSpan().SequenceEqual(actual))
            {
                Assert.Fail(Describe(reference, actual, expected.Width));
            }
        }

        Assert.Equal(expected.Sha256, Convert.ToHexStringLower(SHA256.HashData(actual)));
        var withAlpha = new byte[expected.Width * expected.Height * 4];
        rgba.CopyPixelDataTo(withAlpha);
        for (var i = 0; i < expected.Width * expected.Height; i++)
        {
            Assert.Equal((actual[3 * i], actual[(3 * i) + 1], actual[(3 * i) + 2], (byte)255), (withAlpha[4 * i], withAlpha[(4 * i) + 1], withAlpha[(4 * i) + 2], withAlpha[(4 * i) + 3]));
        }
    }

    [Fact]
    public void Decode_TruncatedJpegUnderDefaults_IsRefusedAsTruncated()
    {
        var truncated = s_fixture.Cases.First(c => c.AllowTruncated && c.Expect == "decode");
        var path = FixturePath(truncated.File);
        var data = File.ReadAllBytes(path);

        var error = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgb24>(data, path, ImageDecodingOptions.Default));

        Assert.Equal(ImageFileProblem.Truncated, error.Problem);
    }

    [Fact]
    public void Fixture_CoversEveryDecoderVariant()
    {
        var files = s_fixture.Cases.Select(c => c.File).ToArray();

        Assert.Contains("Pillow 9.4", s_fixture.Generator, StringComparison.Ordinal);
        Assert.Contains("libjpeg-turbo 2.1", s_fixture.Generator, StringComparison.Ordinal);
        Assert.Equal(36, files.Length);
        Assert.Equal(["CMYK", "L", "RGB"], s_fixture.Cases.Select(c => c.PillowMode).Distinct().Order(StringComparer.Ordinal));
        foreach (var variant in new[] { "baseline-444", "baseline-422", "baseline-420", "progressive-444", "progressive-422", "progressive-420", "restart", "440", "411", "ycck", "rgb-ids", "rgb-adobe", "cmyk-adobe-progressive", "grey-progressive", "truncated-420", "tiny-420-1x1", "no-dht" })
        {
            Assert.Contains(files, f => f.Contains(variant, StringComparison.Ordinal));
        }
    }

    private static string FixturePath(string file) => Path.Combine(AppContext.BaseDirectory, "TestAssets", "Parity", "jpeg", file);

    private static byte[] ReadGzip(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var copy = new MemoryStream();
        gzip.CopyTo(copy);
        return copy.ToArray();
    }

    private static string Describe(byte[] expected, byte[] actual, int width)
    {
        if (expected.Length != actual.Length)
        {
            return $"{actual.Length} bytes decoded, Pillow has {expected.Length}.";
        }

        var differing = 0;
        var maxDifference = 0;
        var first = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs(expected[i] - actual[i]);
            if (d != 0)
            {
                differing++;
                maxDifference = Math.Max(maxDifference, d);
                first = first < 0 ? i : first;
            }
        }

        return $"{differing} bytes differ from Pillow (max difference {maxDifference}); the first at x {first / 3 % width}, y {first / 3 / width}, channel {first % 3}: Pillow {expected[first]}, ConvViz {actual[first]}.";
    }
}

internal sealed record PillowJpegFixture(string Generator, PillowJpegCase[] Cases);

internal sealed record PillowJpegCase(string File, bool AllowTruncated, string Expect, string Note, string PillowMode, int Width, int Height, string Sha256, string? Expected)
{
    public override string ToString() => File;
}
