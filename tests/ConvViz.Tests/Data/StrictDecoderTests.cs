// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Text;
using ConvViz.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Data;

/// <summary>
/// Hostile and truncated BMP and netpbm headers are refused by ConvViz's own decoders with the right problem and the
/// file name, before any pixel buffer exists (ImageSharp #3074: a 35-byte BMP whose pixel offset is 0x7FFFFFFF made
/// ImageSharp's BMP decoder allocate about 2 GB).
/// </summary>
public sealed class StrictDecoderTests
{
    private const string Name = "hostile/cat.1.bmp";

    [Fact]
    public void Bmp_Issue3074PixelOffset_RefusedAsCorruptWithoutAllocating()
    {
        // ImageSharp #3074: a tiny palette BMP whose pixel offset is 0x7FFFFFFF; ImageSharp sized its palette from it.
        var data = Bmp(1, 1, 8, pixels: new byte[4], colors: 1, palette: [0, 0, 0, 0]);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(10), 0x7FFFFFFF);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Refuse(data);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ImageFileProblem.Corrupt, ex.Problem);
        Assert.Contains("past the end of the file", ex.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1_000_000, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Bmp_PixelOffsetPastEndOfFile_RefusedAsCorrupt()
    {
        var data = Bmp(2, 2, 24, pixels: new byte[16]);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(10), 0x7FFFFFFF);

        var ex = Refuse(data);

        Assert.Equal(ImageFileProblem.Corrupt, ex.Problem);
        Assert.Contains("past the end of the file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bmp_PixelOffsetInsideHeader_RefusedAsCorrupt()
    {
        var data = Bmp(2, 2, 24, pixels: new byte[16]);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(10), 20);

        Assert.Equal(ImageFileProblem.Corrupt, Refuse(data).Problem);
    }

    [Theory]
    [InlineData(100_000, 1)]
    [InlineData(1, 100_000)]
    [InlineData(20_000, 20_000)]
    public void Bmp_HugeDimensions_RefusedAsTooManyPixels(int width, int height)
    {
        var data = Bmp(width, height, 24, pixels: new byte[16]);

        Assert.Equal(ImageFileProblem.TooManyPixels, Refuse(data).Problem);
    }

    [Fact]
    public void Bmp_NegativeHeight_TopDown_ButMinValueAndZeroRefused()
    {
        var topDown = Bmp(1, -1, 24, pixels: [1, 2, 3, 0]);
        var minValue = Bmp(1, int.MinValue, 24, pixels: new byte[4]);
        var zero = Bmp(1, 0, 24, pixels: new byte[4]);
        var negativeWidth = Bmp(-5, 1, 24, pixels: new byte[4]);

        using var image = SafeImageDecoder.Decode<Rgb24>(topDown, Name, ImageDecodingOptions.Default);

        Assert.Equal(new Rgb24(3, 2, 1), image[0, 0]);
        Assert.Equal(ImageFileProblem.TooManyPixels, Refuse(minValue).Problem);
        Assert.Equal(ImageFileProblem.Corrupt, Refuse(zero).Problem);
        Assert.Equal(ImageFileProblem.Corrupt, Refuse(negativeWidth).Problem);
    }

    [Fact]
    public void Bmp_PaletteOverflow_RefusedAsCorrupt_PaletteBeyondFileAsTruncated()
    {
        var overflow = Bmp(1, 1, 8, pixels: new byte[4], colors: 0x7FFFFFFF, palette: [0, 0, 0, 0]);
        var beyond = Bmp(1, 1, 8, pixels: new byte[4], colors: 200, palette: [0, 0, 0, 0]);
        BinaryPrimitives.WriteUInt32LittleEndian(beyond.AsSpan(10), (uint)beyond.Length - 4);

        Assert.Equal(ImageFileProblem.Corrupt, Refuse(overflow).Problem);
        Assert.Equal(ImageFileProblem.Truncated, Refuse(beyond).Problem);
    }

    [Fact]
    public void Bmp_TruncatedPixelsAndHeaders_RefusedAsTruncated()
    {
        var whole = Bmp(4, 4, 24, pixels: new byte[48]);

        Assert.Equal(ImageFileProblem.Truncated, Refuse(whole[..^1]).Problem);
        Assert.Equal(ImageFileProblem.Truncated, Refuse(whole[..30]).Problem);
        Assert.Equal(ImageFileProblem.Truncated, Refuse(whole[..16]).Problem);
    }

    [Fact]
    public void BmpAndNetpbm_Truncated_RefusedEvenWithAllowTruncatedImages()
    {
        var lenient = new ImageDecodingOptions { AllowTruncatedImages = true };
        var bmp = Bmp(4, 4, 24, pixels: new byte[48])[..^1];
        var ppm = "P6 2 2 255\n\u0001\u0002\u0003"u8.ToArray();

        Assert.Equal(ImageFileProblem.Truncated, Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgb24>(bmp, Name, lenient).Dispose()).Problem);
        Assert.Equal(ImageFileProblem.Truncated, Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgb24>(ppm, Name, lenient).Dispose()).Problem);
    }

    [Theory]
    [InlineData(1, 8, "RLE8")]
    [InlineData(2, 4, "RLE4")]
    [InlineData(4, 24, "JPEG")]
    [InlineData(5, 24, "PNG")]
    public void Bmp_CompressedVariants_RefusedAsFormatNotEnabled(int compression, int bits, string named)
    {
        var data = Bmp(2, 2, bits, pixels: new byte[16], compression: compression, palette: bits <= 8 ? new byte[4 << bits] : []);

        var ex = Refuse(data);

        Assert.Equal(ImageFileProblem.FormatNotEnabled, ex.Problem);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    [InlineData(64)]
    public void Bmp_ImpossibleBitDepth_RefusedAsCorrupt(int bits)
    {
        Assert.Equal(ImageFileProblem.Corrupt, Refuse(Bmp(2, 2, bits, pixels: new byte[64])).Problem);
    }

    [Fact]
    public void Bmp_UnknownHeaderSizeAndUnsupportedBitfields_Refused()
    {
        var header = Bmp(2, 2, 24, pixels: new byte[16]);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(14), 0xFFFFFF00);
        var masks = Bmp(2, 2, 32, pixels: new byte[16], compression: 3, palette: [0, 0xF0, 0, 0, 0x0F, 0, 0, 0, 0xFF, 0, 0, 0]);

        Assert.Equal(ImageFileProblem.Corrupt, Refuse(header).Problem);
        Assert.Equal(ImageFileProblem.FormatNotEnabled, Refuse(masks).Problem);
    }

    [Fact]
    public void Bmp_Disabled_RefusedAsFormatNotEnabledNamingTheFlag()
    {
        var ex = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Validate(Bmp(1, 1, 24, pixels: new byte[4]), Name, new ImageDecodingOptions { Formats = ImageFormats.Png }));

        Assert.Equal(ImageFileProblem.FormatNotEnabled, ex.Problem);
        Assert.Contains("ImageFormats.Bmp", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("P6 100000 1 255\n", ImageFileProblem.TooManyPixels)]
    [InlineData("P6 20000 20000 255\n", ImageFileProblem.TooManyPixels)]
    [InlineData("P6 0 1 255\n", ImageFileProblem.Corrupt)]
    [InlineData("P6 -1 1 255\n", ImageFileProblem.Corrupt)]
    [InlineData("P6 1 1 0\n", ImageFileProblem.Corrupt)]
    [InlineData("P6 1 1 65536\n", ImageFileProblem.Corrupt)]
    [InlineData("P6 99999999999 1 255\n", ImageFileProblem.Corrupt)]
    [InlineData("P6 2 2 255\n", ImageFileProblem.Truncated)]
    [InlineData("P6 2 2 65535\n", ImageFileProblem.Truncated)]
    [InlineData("P6 2 2", ImageFileProblem.Truncated)]
    [InlineData("P6 # only a comment", ImageFileProblem.Truncated)]
    [InlineData("P5 1 1 65535\n", ImageFileProblem.FormatNotEnabled)]
    [InlineData("P3 1 1 255\n0 0 0\n", ImageFileProblem.FormatNotEnabled)]
    [InlineData("P4 8 1\n", ImageFileProblem.FormatNotEnabled)]
    public void Netpbm_HostileOrTruncatedHeader_RefusedWithTheRightProblem(string header, ImageFileProblem problem)
    {
        var data = Encoding.ASCII.GetBytes(header.EndsWith('\n') ? header + "\u0001\u0002\u0003" : header);

        var ex = Refuse(data);

        Assert.Equal(problem, ex.Problem);
    }

    [Fact]
    public void Netpbm_Disabled_RefusedAsFormatNotEnabledNamingTheFlag()
    {
        var ex = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Validate("P5 1 1 255\n\u0007"u8.ToArray(), Name, new ImageDecodingOptions { Formats = ImageFormats.Jpeg }));

        Assert.Equal(ImageFileProblem.FormatNotEnabled, ex.Problem);
        Assert.Contains("ImageFormats.Netpbm", ex.Message, StringComparison.Ordinal);
    }

    private static InvalidImageFileException Refuse(byte[] data)
    {
        var validate = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Validate(data, Name, ImageDecodingOptions.Default));
        var decode = Assert.Throws<InvalidImageFileException>(() => SafeImageDecoder.Decode<Rgba32>(data, Name, ImageDecodingOptions.Default).Dispose());
        Assert.Equal(Name, validate.FilePath);
        Assert.Contains(Name, validate.Message, StringComparison.Ordinal);
        Assert.Equal(validate.Problem, decode.Problem);
        return validate;
    }

    // A BMP with a 40-byte header; the palette (or masks) follow the header and the offset points after them.
    private static byte[] Bmp(int width, int height, int bits, byte[] pixels, int compression = 0, uint colors = 0, byte[]? palette = null)
    {
        palette ??= [];
        var data = new byte[14 + 40 + palette.Length + pixels.Length];
        "BM"u8.CopyTo(data);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(2), (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(10), (uint)(14 + 40 + palette.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(22), height);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(26), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(28), (ushort)bits);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(30), compression);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(46), colors);
        palette.CopyTo(data, 54);
        pixels.CopyTo(data, 54 + palette.Length);
        return data;
    }
}
