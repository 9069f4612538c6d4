// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.RegularExpressions;
using ConvViz.Models;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace ConvViz.Tests.Visualization;

public sealed partial class HtmlReportTests
{
    private const string Svg =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"120\" height=\"40\"><rect width=\"120\" height=\"40\" fill=\"#eef\"/>" +
        "<polyline points=\"0,35 40,20 80,12 120,8\" fill=\"none\" stroke=\"#c00\"/></svg>";

    [Fact]
    public void Create_FullReport_EmbedsEveryImageAndLoadsNothingExternal()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var model = CreateSmallModel();
        var input = rand(new long[] { 1, 3, 32, 32 }, generator: new Generator(5));

        var html = HtmlReport.Create(model, new HtmlReportOptions
        {
            Title = "Cats & <dogs>",
            Input = input,
            ClassNames = ["cat", "<script>alert(1)</script>"],
            HistorySvg = Svg,
        });

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>Cats &amp; &lt;dogs&gt;</title>", html);
        Assert.DoesNotContain("<script>alert", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        var sources = ImageSources().Matches(html).Select(m => m.Groups[1].Value).ToList();

        // history + input + Grad-CAM + saliency + 3 feature-map layers (conv2d, max_pooling2d, conv2d_1) + first-layer filters.
        Assert.Equal(8, sources.Count);
        Assert.All(sources, s => Assert.StartsWith("data:image/", s));
        Assert.DoesNotMatch("(src|href)=\"(?!data:)", html);
        foreach (var source in sources.Where(s => s.StartsWith("data:image/png;base64,", StringComparison.Ordinal)))
        {
            using var decoded = Image.Load<Rgb24>(Convert.FromBase64String(source["data:image/png;base64,".Length..]));
            Assert.True(decoded.Width > 0);
        }

        Assert.Contains("conv2d_1 (Conv2D)", html);
        Assert.Contains("max_pooling2d", html);
    }

    [Fact]
    public void Create_WithoutInput_ShowsModelAndFiltersOnly()
    {
        using var model = CreateSmallModel();

        var html = HtmlReport.Create(model);

        Assert.Contains("<h2>Model</h2>", html);
        Assert.Contains("First-layer filters", html);
        Assert.DoesNotContain("Grad-CAM", html);
        Assert.Single(ImageSources().Matches(html));
    }

    [Fact]
    public void Create_TooFewClassNames_Throws()
    {
        using var scope = NewDisposeScope();
        using var model = CreateSmallModel();

        var ex = Assert.Throws<ArgumentException>(() => HtmlReport.Create(model, new HtmlReportOptions { Input = rand(1, 3, 32, 32), ClassNames = ["cat"] }));

        Assert.Contains("2 outputs", ex.Message);
    }

    [Fact]
    public void Save_CatPhotoOnTheBlogModel_WritesAReportForTheBrowserCheck()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = BlogModel.CreateBuilder().Build();
        using var photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "TestAssets", "chelsea.png"));
        photo.Mutate(c => c.Resize(150, 150));
        var pixels = new Rgb24[150 * 150];
        photo.CopyPixelDataTo(pixels);
        var data = new float[3 * 150 * 150];
        for (var i = 0; i < pixels.Length; i++)
        {
            data[i] = pixels[i].R / 255f;
            data[pixels.Length + i] = pixels[i].G / 255f;
            data[(2 * pixels.Length) + i] = pixels[i].B / 255f;
        }

        var input = tensor(data, [1, 3, 150, 150]);
        var directory = Path.Combine(FindArtifacts(), "test-output", "HtmlReport");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "chelsea.html");

        HtmlReport.Save(model, path, new HtmlReportOptions
        {
            Title = "Chelsea the cat on the blog's (untrained) model",
            Input = input,
            InputImage = photo,
            ClassNames = ["cat", "dog"],
            HistorySvg = Svg,
        });

        var html = File.ReadAllText(path);
        Assert.Equal(1 + 1 + 2 + 8 + 1, ImageSources().Matches(html).Count);
        Assert.Contains("conv2d_4 (Conv2D) (None, 14, 14, 16)", html);
    }

    private static Model CreateSmallModel() =>
        new SequentialBuilder(32, 32, 3)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(6, 3, Activation.ReLU)
            .AddFlatten()
            .AddDropout(0.5)
            .AddDense(2, Activation.Softmax)
            .Build();

    private static string FindArtifacts()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConvViz.sln")))
            {
                return Path.Combine(dir.FullName, "artifacts");
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "artifacts");
    }

    [GeneratedRegex("<img [^>]*src=\"([^\"]+)\"")]
    private static partial Regex ImageSources();
}
