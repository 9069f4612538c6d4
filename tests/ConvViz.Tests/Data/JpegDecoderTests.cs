// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using ConvViz.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Data;

/// <summary>
/// The JPEG variants ConvViz's own decoder refuses, and hostile headers: each is refused with the problem a user can
/// act on, before any pixel buffer is allocated. (Decoded pixels are checked against Pillow in <c>PillowJpegTests</c>.)
/// </summary>
public sealed class JpegDecoderTests
{
    private static readonly ImageDecodingOptions s_lenient = new() { AllowTruncatedImages = true };

    [Theory]
    [InlineData(0xC9, "arithmetic")]
    [InlineData(0xCA, "arithmetic")]
    [InlineData(0xC3, "lossless")]
    public void Decode_UnsupportedCoding_IsRefusedNamingIt(byte sof, string words)
    {
        var data = Fixture("baseline-444-33x17.jpg");
        data[FindMarker(data, 0xC0) + 1] = sof;

        var error = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgb24>(data, "x.jpg", ImageDecodingOptions.Default));

        Assert.Equal(ImageFileProblem.FormatNotEnabled, error.Problem);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TwelveBitSamples_IsRefused()
    {
        var data = Fixture("baseline-444-33x17.jpg");
        data[FindMarker(data, 0xC0) + 4] = 12;

        var error = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgb24>(data, "x.jpg", ImageDecodingOptions.Default));

        Assert.Equal(ImageFileProblem.FormatNotEnabled, error.Problem);
        Assert.Contains("12-bit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HugeFrameInTinyFile_IsRefusedAsDecompressionBomb()
    {
        var data = Fixture("progressive-420.jpg");
        var sof = FindMarker(data, 0xC2);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 5), 16_000);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 7), 16_000);

        var error = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Validate(data, "x.jpg", ImageDecodingOptions.Default));

        Assert.Equal(ImageFileProblem.TooManyPixels, error.Problem);
        Assert.Contains("16000×16000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_SegmentLengthPastTheEnd_IsRefusedAsTruncated()
    {
        var data = Fixture("baseline-444-33x17.jpg");
        var dqt = FindMarker(data, 0xDB);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(dqt + 2), 0xFFF0);

        var error = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgb24>(data, "x.jpg", s_lenient));

        Assert.Equal(ImageFileProblem.Truncated, error.Problem);
    }

    [Fact]
    public void Decode_QuantisationTableMissing_IsRefusedAsCorrupt()
    {
        var data = Fixture("baseline-444-33x17.jpg");
        var dqt = FindMarker(data, 0xDB);
        data[dqt + 1] = 0xEC; // the tables become an APP12 segment

        var error = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgb24>(data, "x.jpg", ImageDecodingOptions.Default));

        Assert.Equal(ImageFileProblem.Corrupt, error.Problem);
        Assert.Contains("quantisation table", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_JfifHeaderWithoutStartOfImage_IsRefused()
    {
        var data = Fixture("baseline-444-33x17.jpg");
        data[0] = 0;
        data[1] = 0;

        var error = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgb24>(data, "x.jpg", ImageDecodingOptions.Default));

        Assert.Equal(ImageFileProblem.Corrupt, error.Problem);
    }

    [Fact]
    public void Decode_EntropyDataCutAfterEveryByte_NeverThrowsAnythingElse()
    {
        var whole = Fixture("own-restart-420.jpg");
        var outcomes = new Dictionary<string, int>();
        for (var length = 3; length < whole.Length; length += 7)
        {
            var data = whole.AsSpan(0, length).ToArray();
            try
            {
                using var image = SafeImageDecoder.Decode<Rgb24>(data, "x.jpg", s_lenient);
                Assert.Equal((67, 53), (image.Width, image.Height));
                outcomes["decoded"] = outcomes.GetValueOrDefault("decoded") + 1;
            }
            catch (InvalidImageFileException ex)
            {
                outcomes[ex.Problem.ToString()] = outcomes.GetValueOrDefault(ex.Problem.ToString()) + 1;
            }
        }

        // Cuts inside the header are refused as truncated; every cut in the entropy-coded data decodes (grey rest).
        Assert.True(outcomes.Keys.Order(StringComparer.Ordinal).SequenceEqual(["Truncated", "decoded"]), string.Join(", ", outcomes));
        Assert.True(outcomes["decoded"] > outcomes["Truncated"], string.Join(", ", outcomes));
    }

    private static byte[] Fixture(string file) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestAssets", "Parity", "jpeg", file));

    private static int FindMarker(byte[] data, byte code)
    {
        for (var i = 2; i + 1 < data.Length; i++)
        {
            if (data[i] == 0xFF && data[i + 1] == code)
            {
                return i;
            }
        }

        throw new InvalidDataException($"No marker 0xFF{code:X2}.");
    }
}
