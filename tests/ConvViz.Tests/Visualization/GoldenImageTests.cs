// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Visualization;

public sealed class GoldenImageTests
{
    [Fact]
    public void Compare_SmallPerPixelNoise_IsTolerated()
    {
        using var a = new Image<Rgb24>(10, 10, new Rgb24(100, 100, 100));
        using var b = new Image<Rgb24>(10, 10, new Rgb24(101, 100, 100));

        Assert.True(GoldenImage.Compare(a, b, GoldenImage.DefaultPerPixelThreshold, GoldenImage.DefaultImageThreshold).Ok);
    }

    [Fact]
    public void Compare_OneWrongPixel_Fails()
    {
        using var a = new Image<Rgb24>(10, 10, new Rgb24(100, 100, 100));
        using var b = a.Clone();
        b[3, 4] = new Rgb24(0, 255, 0);

        var (ok, message) = GoldenImage.Compare(a, b, GoldenImage.DefaultPerPixelThreshold, GoldenImage.DefaultImageThreshold);

        Assert.False(ok);
        Assert.Contains("worst pixel distance 355", message);
    }

    [Fact]
    public void Compare_DifferentSizes_Fails()
    {
        using var a = new Image<Rgb24>(10, 10);
        using var b = new Image<Rgb24>(10, 11);

        Assert.False(GoldenImage.Compare(a, b, 3, 1).Ok);
    }
}
