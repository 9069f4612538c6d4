// Copyright (c) ConvViz contributors. Licensed under the MIT License.

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
        var heatmap = (x * 0.7f) + (y * 0.3f);

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
}
