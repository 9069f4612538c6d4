// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Data;

public sealed class ImageLoaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void LoadPixels_SameSize_ReturnsChannelsFirstPixels()
    {
        using var image = TestImages.Coordinates(3, 2);
        var path = TestImages.SavePng(image, _temp.Combine("c.png"));

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 2, TargetWidth = 3 }, ImageDecodingOptions.Default);

        Assert.Equal([1L, 3, 2, 3], x.shape);
        Assert.Equal(ScalarType.Float32, x.dtype);
        Assert.Equal(21f, x[0, 0, 1, 2].item<float>()); // red = x·10 + 1 at x = 2
        Assert.Equal(12f, x[0, 1, 1, 2].item<float>()); // green = y·10 + 2 at y = 1
        Assert.Equal(3f, x[0, 2, 0, 0].item<float>());
    }

    [Theory]
    [InlineData(10, 4, new[] { 1, 3, 6, 8 })]
    [InlineData(3, 7, new[] { 0, 0, 1, 1, 1, 2, 2 })]
    [InlineData(5, 2, new[] { 1, 3 })]
    public void LoadPixels_NearestResize_SamplesLikePillow(int sourceWidth, int targetWidth, int[] expectedColumns)
    {
        using var image = TestImages.Coordinates(sourceWidth, 1);
        var path = TestImages.SavePng(image, _temp.Combine("n.png"));

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 1, TargetWidth = targetWidth }, ImageDecodingOptions.Default);

        var red = x[0, 0, 0].data<float>().ToArray();
        Assert.Equal(expectedColumns.Select(c => (float)((c * 10) + 1)).ToArray(), red);
    }

    [Fact]
    public void LoadPixels_NearestRowsAndColumns_FollowPillowIndices()
    {
        using var image = TestImages.Coordinates(3, 5);
        var path = TestImages.SavePng(image, _temp.Combine("rc.png"));

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 7, TargetWidth = 3 }, ImageDecodingOptions.Default);

        // Rows (Pillow's running sum of 5/7 from 5/14, truncated) = 0, 1, 1, 2, 3, 3, 4; green = y · 10 + 2. Columns are unchanged.
        Assert.Equal(new float[] { 2, 12, 12, 22, 32, 32, 42 }, x[0, 1, .., 0].data<float>().ToArray());
        Assert.Equal(new float[] { 1, 11, 21 }, x[0, 0, 3].data<float>().ToArray());
    }

    [Fact]
    public void LoadPixels_BilinearDownscale_AveragesNeighbours()
    {
        using var image = TestImages.Solid(8, 8, new Rgb24(0, 0, 0));
        image.ProcessPixelRows(a =>
        {
            for (var y = 0; y < 8; y++)
            {
                a.GetRowSpan(y)[4..].Fill(new Rgb24(200, 200, 200));
            }
        });
        var path = TestImages.SavePng(image, _temp.Combine("b.png"));

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4, Interpolation = Interpolation.Bilinear }, ImageDecodingOptions.Default);

        var row = x[0, 0, 0].data<float>().ToArray();
        Assert.Equal(0f, row[0], 0.5f);
        Assert.Equal(200f, row[3], 0.5f);
        Assert.InRange(row[1], 0f, 100f);
        Assert.InRange(row[2], 100f, 200f);
    }

    [Fact]
    public void LoadPixels_Grayscale_UsesPillowLuma()
    {
        using var image = new Image<Rgb24>(4, 1);
        image[0, 0] = new Rgb24(255, 0, 0);
        image[1, 0] = new Rgb24(0, 255, 0);
        image[2, 0] = new Rgb24(0, 0, 255);
        image[3, 0] = new Rgb24(77, 77, 77);
        var path = TestImages.SavePng(image, _temp.Combine("g.png"));

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 1, TargetWidth = 4, ColorMode = ColorMode.Grayscale }, ImageDecodingOptions.Default);

        Assert.Equal([1L, 1, 1, 4], x.shape);
        Assert.Equal(new[] { 76f, 150f, 29f, 77f }, x.flatten().data<float>().ToArray());
    }

    [Fact]
    public void LoadPixels_RgbaAndRgb_KeepOrDropAlpha()
    {
        using var image = new Image<Rgba32>(1, 1);
        image[0, 0] = new Rgba32(10, 20, 30, 40);
        var path = TestImages.SavePng(image, _temp.Combine("a.png"));

        using var rgba = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 1, TargetWidth = 1, ColorMode = ColorMode.Rgba }, ImageDecodingOptions.Default);
        using var rgb = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 1, TargetWidth = 1 }, ImageDecodingOptions.Default);

        Assert.Equal(new[] { 10f, 20f, 30f, 40f }, rgba.flatten().data<float>().ToArray());
        Assert.Equal(new[] { 10f, 20f, 30f }, rgb.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Load_AppliesStandardization()
    {
        var path = TestImages.WriteSolidPng(_temp.Combine("s.png"), new Rgb24(255, 51, 0), 4);

        using var x = ImageLoader.Load(path, new ImagePreprocessing { TargetHeight = 2, TargetWidth = 2, Rescale = 1.0 / 255 });

        Assert.Equal([1L, 3, 2, 2], x.shape);
        Assert.Equal(1f, x[0, 0, 0, 0].item<float>(), 1e-6f);
        Assert.Equal(0.2f, x[0, 1, 1, 1].item<float>(), 1e-6f);
    }

    [Fact]
    public void Load_StreamAndImage_MatchFile()
    {
        using var image = TestImages.Coordinates(5, 4);
        var path = TestImages.SavePng(image, _temp.Combine("m.png"));
        var pp = new ImagePreprocessing { TargetHeight = 3, TargetWidth = 3, SamplewiseStdNormalization = true };

        using var fromFile = ImageLoader.Load(path, pp);
        using var stream = File.OpenRead(path);
        using var fromStream = ImageLoader.Load(stream, pp);
        using var fromImage = ImageLoader.FromImage(image, pp);

        Assert.True(fromFile.allclose(fromStream));
        Assert.True(fromFile.allclose(fromImage));
    }

    [Fact]
    public void Load_PngNamedJpg_Loads()
    {
        using var image = TestImages.Coordinates(2, 2);
        var path = _temp.Combine("actually-png.jpg");
        File.WriteAllBytes(path, TestImages.PngBytes(image));

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 2, TargetWidth = 2 }, ImageDecodingOptions.Default);

        Assert.Equal(11f, x[0, 0, 0, 1].item<float>());
    }

    [Fact]
    public void Load_Jpeg_DecodesCloseToSource()
    {
        using var image = TestImages.Solid(16, 16, new Rgb24(200, 100, 50));
        var path = TestImages.SaveJpeg(image, _temp.Combine("j.jpg"));

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 16, TargetWidth = 16 }, ImageDecodingOptions.Default);

        Assert.Equal(200f, x[0, 0].mean().item<float>(), 3f);
        Assert.Equal(50f, x[0, 2].mean().item<float>(), 3f);
    }

    [Fact]
    public void Load_ZeroByteFile_ThrowsEmptyNamingFile()
    {
        var path = _temp.Combine("empty.jpg");
        File.WriteAllBytes(path, []);

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Equal(ImageFileProblem.Empty, ex.Problem);
        Assert.Equal(path, ex.FilePath);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_RandomBytesNamedJpg_ThrowsUnknownFormat()
    {
        var path = _temp.Combine("noise.jpg");
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Equal(ImageFileProblem.UnknownFormat, ex.Problem);
        Assert.Contains("noise.jpg", ex.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.98)]
    public void Load_TruncatedPng_ThrowsTruncated(double keep)
    {
        using var image = TestImages.Coordinates(20, 20);
        var bytes = TestImages.PngBytes(image);
        var path = _temp.Combine("cut.png");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Contains(ex.Problem, new[] { ImageFileProblem.Truncated, ImageFileProblem.Corrupt });
        Assert.Equal(path, ex.FilePath);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.99)]
    public void Load_TruncatedJpeg_ThrowsTruncated(double keep)
    {
        using var image = TestImages.Coordinates(24, 24);
        var bytes = TestImages.JpegBytes(image);
        var path = _temp.Combine("cut.jpg");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Equal(ImageFileProblem.Truncated, ex.Problem);
    }

    [Fact]
    public void Load_JpegWithTrailingBytes_Loads()
    {
        using var image = TestImages.Solid(8, 8, new Rgb24(10, 20, 30));
        var path = _temp.Combine("trailer.jpg");
        File.WriteAllBytes(path, [.. TestImages.JpegBytes(image), .. new byte[100]]);

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 8, TargetWidth = 8 }, ImageDecodingOptions.Default);

        Assert.Equal([1L, 3, 8, 8], x.shape);
    }

    [Fact]
    public void Load_HugeDeclaredDimensions_RejectedFromHeader()
    {
        using var image = TestImages.Coordinates(4, 4);
        var path = _temp.Combine("bomb.png");
        File.WriteAllBytes(path, TestImages.WithDeclaredSize(TestImages.PngBytes(image), 60_000, 60_000));

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Equal(ImageFileProblem.TooManyPixels, ex.Problem);
        Assert.Contains("60000×60000", ex.Message);
    }

    [Fact]
    public void Load_AboveConfiguredPixelLimit_Throws()
    {
        var path = TestImages.WriteSolidPng(_temp.Combine("p.png"), new Rgb24(1, 2, 3), 20);

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing(), new ImageDecodingOptions { MaxPixels = 399 }));

        Assert.Equal(ImageFileProblem.TooManyPixels, ex.Problem);
    }

    [Fact]
    public void Load_AboveFileSizeLimit_ThrowsFileTooLarge()
    {
        var path = TestImages.WriteSolidPng(_temp.Combine("big.png"), new Rgb24(1, 2, 3), 20);

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing(), new ImageDecodingOptions { MaxFileSizeBytes = 10 }));

        Assert.Equal(ImageFileProblem.FileTooLarge, ex.Problem);
    }

    [Fact]
    public void Load_Bmp_DecodedByDefault_RefusedWhenDisabled()
    {
        using var image = TestImages.Coordinates(3, 3);
        var path = _temp.Combine("disguised.jpg");
        image.SaveAsBmp(path);

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 3, TargetWidth = 3 }, ImageDecodingOptions.Default);
        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing(), new ImageDecodingOptions { Formats = ImageFormats.Jpeg | ImageFormats.Png }));

        Assert.Equal(21f, x[0, 0, 0, 2].item<float>());
        Assert.Equal(ImageFileProblem.FormatNotEnabled, ex.Problem);
        Assert.Contains("ImageFormats.Bmp", ex.Message);
    }

    [Theory]
    [InlineData(ImageFormats.Gif)]
    [InlineData(ImageFormats.Webp)]
    public void Load_OptInFormats_RejectedByDefault_LoadWhenEnabled(ImageFormats format)
    {
        using var image = TestImages.Solid(4, 4, new Rgb24(0, 255, 0));
        var path = _temp.Combine("opt-in.png");
        if (format == ImageFormats.Gif)
        {
            image.SaveAsGif(path);
        }
        else
        {
            image.SaveAsWebp(path, new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossless });
        }

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));
        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4 }, new ImageDecodingOptions { Formats = ImageFormats.Default | format });

        Assert.Equal(ImageFileProblem.FormatNotEnabled, ex.Problem);
        Assert.Equal(255f, x[0, 1].mean().item<float>());
    }

    [Fact]
    public void Load_MissingFile_ThrowsUnreadable()
    {
        var path = _temp.Combine("missing.png");

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Equal(ImageFileProblem.Unreadable, ex.Problem);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void DecodingOptions_NoFormats_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageDecodingOptions { Formats = ImageFormats.None });
    }
}
