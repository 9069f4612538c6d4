// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Tests.Inspection;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Visualization;

public sealed class HeatmapOverlayTests
{
    [Fact]
    public void Render_Alpha04_BlendsJetOverTheImage()
    {
        using var scope = NewDisposeScope();
        using var image = new Image<Rgb24>(4, 3, new Rgb24(100, 100, 100));
        var heatmap = zeros(3, 4);
        heatmap[0, 3] = 1f;

        using var overlay = HeatmapOverlay.Render(image, heatmap);

        // jet(1) = (128, 0, 0), jet(0) = (0, 0, 128); 0.6·100 + 0.4·c.
        Assert.Equal(new Rgb24(111, 60, 60), overlay[3, 0]);
        Assert.Equal(new Rgb24(60, 60, 111), overlay[0, 2]);
    }

    [Fact]
    public void Render_SmallerHeatmap_IsResizedToTheImage()
    {
        using var scope = NewDisposeScope();
        using var image = new Image<Rgb24>(20, 10);
        var heatmap = zeros(2, 4);
        heatmap[0, 3] = 1f;

        using var overlay = HeatmapOverlay.Render(image, heatmap, new HeatmapOverlayOptions { Alpha = 1, Colormap = Colormap.Gray });

        Assert.Equal((20, 10), (overlay.Width, overlay.Height));
        Assert.Equal(255, overlay[19, 0].R);
        Assert.Equal(0, overlay[0, 9].R);
    }

    [Fact]
    public void RenderHeatmap_Gradient_MatchesGolden()
    {
        using var scope = NewDisposeScope();
        var y = linspace(0, 1, 6).reshape(6, 1);
        var x = linspace(0, 1, 10).reshape(1, 10);
        using var xWeight = Scalars.Create(0.7f);
        using var yWeight = Scalars.Create(0.3f);
        var heatmap = x.mul(xWeight).add(y.mul(yWeight), Scalars.One);

        using var image = HeatmapOverlay.RenderHeatmap(heatmap, Colormap.Jet, scale: 3);

        Assert.Equal((30, 18), (image.Width, image.Height));
        GoldenImage.AssertMatches(image, nameof(HeatmapOverlayTests));
    }

    [Fact]
    public void Render_NotTwoDimensional_Throws()
    {
        using var scope = NewDisposeScope();
        using var image = new Image<Rgb24>(4, 4);

        Assert.Throws<ArgumentException>(() => HeatmapOverlay.Render(image, zeros(2, 4, 4)).Dispose());
    }

    [Fact]
    public void Render_NonSquarePhoto_HotRegionLandsOnThePhotosEvidence()
    {
        // A 451×300 photo (the blog's cat size) with a bright rectangle where the 16×16 model input, after the squash,
        // has its 3×3 patch (rows 2–4, columns 10–12): x in [10, 13)·451/16, y in [2, 5)·300/16.
        using var scope = NewDisposeScope();
        const int width = 451, height = 300;
        var (left, right) = ((int)Math.Ceiling(10 * width / 16.0), (int)Math.Floor(13 * width / 16.0) - 1);
        var (top, bottom) = ((int)Math.Ceiling(2 * height / 16.0), (int)Math.Floor(5 * height / 16.0) - 1);
        using var photo = new Image<Rgb24>(width, height, new Rgb24(20, 20, 20));
        for (var y = top; y <= bottom; y++)
        {
            for (var x = left; x <= right; x++)
            {
                photo[x, y] = new Rgb24(255, 255, 255);
            }
        }

        using var model = KnownAnswerModel.Create();
        var preprocessing = new ImagePreprocessing { TargetHeight = 16, TargetWidth = 16, ColorMode = ColorMode.Grayscale, Rescale = 1.0 / 255 };
        using var input = ImageLoader.FromImage(photo, preprocessing);
        using var camResult = GradCam.Compute(model, input, 1);
        var cam = camResult.Maps[0];

        using var overlay = HeatmapOverlay.Render(photo, cam, new HeatmapOverlayOptions { Alpha = 1, Colormap = Colormap.Gray });

        Assert.Equal((width, height), (overlay.Width, overlay.Height));
        var (hotX, hotY, hot) = (0, 0, -1);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (overlay[x, y].R > hot)
                {
                    (hotX, hotY, hot) = (x, y, overlay[x, y].R);
                }
            }
        }

        Assert.True(hot >= 240, $"hottest value {hot}");   // the photo's pixel grid need not hit the map's peak exactly
        Assert.InRange(hotX, left, right);
        Assert.InRange(hotY, top, bottom);
        Assert.Equal(0, overlay[20, height - 20].R);   // the far corner has no evidence
        Assert.Equal(0, overlay[width - 20, height - 20].R);

        var path = Path.Combine(Path.GetTempPath(), $"convviz-photo-{Guid.NewGuid():N}.png");
        try
        {
            photo.SaveAsPng(path);
            using var fromFile = HeatmapOverlay.RenderOnPhoto(path, cam, new HeatmapOverlayOptions { Alpha = 1, Colormap = Colormap.Gray });
            Assert.Equal((width, height), (fromFile.Width, fromFile.Height));
            Assert.Equal(overlay[hotX, hotY], fromFile[hotX, hotY]);
            Assert.Equal(overlay[5, 5], fromFile[5, 5]);
            if (Environment.GetEnvironmentVariable("CONVVIZ_KEEP_TEST_IMAGES") is { Length: > 0 } folder)
            {
                using var jet = HeatmapOverlay.Render(photo, cam);
                jet.SaveAsPng(Path.Combine(folder, "overlay-on-photo-451x300.png"));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RenderOnPhoto_MissingFileOrEmptyHeatmap_Throws()
    {
        using var scope = NewDisposeScope();

        Assert.Throws<InvalidImageFileException>(() => HeatmapOverlay.RenderOnPhoto("/nonexistent/photo.png", zeros(4, 4)).Dispose());
        Assert.Throws<ArgumentException>(() => HeatmapOverlay.RenderOnPhoto("/nonexistent/photo.png", zeros(0, 4)).Dispose());
    }
}
