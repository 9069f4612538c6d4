// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Tests.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Sdk;

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

    [Theory]
    [InlineData("1", "true")]
    [InlineData("1", "True")]
    [InlineData("1", "1")]
    [InlineData("yes", "true")]
    public void UpdateRequested_UnderCi_FailsTheTest(string update, string ci)
    {
        var ex = Assert.Throws<FailException>(() => GoldenImage.UpdateRequested(update, ci));

        Assert.Contains("CONVVIZ_UPDATE_GOLDEN", ex.Message);
        Assert.Contains("under CI", ex.Message);
    }

    [Theory]
    [InlineData("1", null, true)]
    [InlineData("1", "false", true)]
    [InlineData(null, "true", false)]
    [InlineData("", "true", false)]
    [InlineData(null, null, false)]
    [InlineData("0", null, false)]
    public void UpdateRequested_OutsideCi_OnlyForOne(string? update, string? ci, bool expected)
    {
        Assert.Equal(expected, GoldenImage.UpdateRequested(update, ci));
    }

    [Fact]
    public void AssertMatches_UpdateModeUnderCi_FailsWithoutWriting()
    {
        var saved = (Update: Environment.GetEnvironmentVariable(GoldenImage.UpdateVariable), Ci: Environment.GetEnvironmentVariable("CI"));
        using var image = new Image<Rgb24>(4, 4, new Rgb24(1, 2, 3));
        try
        {
            Environment.SetEnvironmentVariable(GoldenImage.UpdateVariable, "1");
            Environment.SetEnvironmentVariable("CI", "true");

            var ex = Assert.Throws<FailException>(() => GoldenImage.AssertMatches(image, nameof(GoldenImageTests)));

            Assert.Contains("under CI", ex.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(GoldenImage.UpdateVariable, saved.Update);
            Environment.SetEnvironmentVariable("CI", saved.Ci);
        }

        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "ReferenceOutput", nameof(GoldenImageTests), nameof(AssertMatches_UpdateModeUnderCi_FailsWithoutWriting) + ".png")));
    }

    [Fact]
    public void Update_WritesTheFile_AndFailsNamingIt()
    {
        using var temp = new TempDirectory();
        var target = Path.Combine(temp.Path, "ReferenceOutput", "Some", "Test.png");
        using var image = new Image<Rgb24>(3, 2, new Rgb24(7, 8, 9));

        var ex = Assert.Throws<FailException>(() => GoldenImage.Update(target, path => image.SaveAsPng(path)));

        Assert.Contains(target, ex.Message);
        Assert.Contains("instead of comparing", ex.Message);
        using var written = Image.Load<Rgb24>(target);
        Assert.True(GoldenImage.Compare(image, written, 0, 0).Ok);
    }
}
