// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Tests.Inspection;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Visualization;

public sealed class GridLabelsTests
{
    private static readonly Rgb24 s_white = new(255, 255, 255);

    [Fact]
    public void LayerTitle_BlogModel_GivesNameIndexRIndexAndKerasShape()
    {
        using var model = BlogModel.CreateBuilder().Build();

        Assert.Equal("conv2d_1 \u00B7 layer 1 (R index 2) \u00B7 146\u00D7146\u00D716", GridLabels.LayerTitle(model.Layers[1]));
        Assert.Equal("conv2d_3 \u00B7 layer 5 (R index 6) \u00B7 33\u00D733\u00D764", GridLabels.LayerTitle(model.Layers[5]));
    }

    [Fact]
    public void AutomaticTitle_SaysWhatPartOfTheLayerIsDrawn()
    {
        using var model = BlogModel.CreateBuilder().Build();

        Assert.Equal(
            "conv2d_3 \u00B7 layer 5 (R index 6) \u00B7 33\u00D733\u00D764 \u00B7 16 of 64 channels \u00B7 sample 2",
            FeatureMapGrid.AutomaticTitle(model.Layers[5], 16, 64, 33, 33, batch: 4, sampleIndex: 2));
        Assert.Equal("feature maps \u00B7 6\u00D78\u00D75", FeatureMapGrid.AutomaticTitle(null, 5, 5, 6, 8, batch: 1, sampleIndex: 0));
    }

    [Fact]
    public void RenderLayer_DrawsTheLayerTitleAboveTheTiles()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        using var activations = IntermediateModel.From(model, 0).Run(KnownAnswerModel.CreateInput());
        var layer = activations.Layers[0];
        var options = new FeatureMapGridOptions { Padding = 1 };

        var (image, _, _, _, labels) = FeatureMapGrid.RenderWithRange(activations[layer.Name], options, layer);
        using (image)
        {
            Assert.Equal("conv2d \u00B7 layer 0 (R index 1) \u00B7 14\u00D714\u00D71", labels.Title);

            // One 56-pixel tile: the title wraps at its separators and the canvas widens to the longest line.
            var lines = TileCanvas.WrapTitle(labels.Title!, 58 - 4, 1);
            Assert.Equal(["conv2d", "layer 0 (R index 1)", "14\u00D714\u00D71"], lines);
            Assert.Equal(TextRenderer.MeasureWidth("layer 0 (R index 1)", 1) + 4, image.Width);
            var expected = new Rgb24[image.Width * 33];
            Array.Fill(expected, s_white);
            for (var i = 0; i < lines.Count; i++)
            {
                TextRenderer.Draw(expected.AsSpan(), image.Width, lines[i], 2, 2 + (i * 10), 1, TileCanvas.TitleInk);
            }

            var actual = new Rgb24[image.Width * image.Height];
            image.CopyPixelDataTo(actual);
            Assert.Equal(expected, actual.AsSpan(0, expected.Length).ToArray());
        }
    }

    [Fact]
    public void RenderLayer_MapsOfAnotherLayer_ThrowsNamingTheLayer()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        var ex = Assert.Throws<ArgumentException>(() => FeatureMapGrid.RenderForLayer(rand(1, 3, 14, 14), model.Layers[0]).Dispose());

        Assert.Contains("'conv2d'", ex.Message);
        Assert.Equal("layer", ex.ParamName);
    }

    [Theory]
    [InlineData(FeatureMapNormalization.PerLayer)]
    [InlineData(FeatureMapNormalization.Percentile)]
    public void ColorBar_SharedScale_WritesTheRangeOfTheDataUnderItsEnds(FeatureMapNormalization normalization)
    {
        using var scope = NewDisposeScope();
        var values = linspace(-2.5, 7.25, 2 * 6 * 6, dtype: ScalarType.Float32).reshape(2, 6, 6);
        var options = new FeatureMapGridOptions { Normalization = normalization, LowerPercentile = 0, UpperPercentile = 100, Padding = 1 };

        var (image, low, high, _, labels) = FeatureMapGrid.RenderWithRange(values, options);
        using (image)
        {
            Assert.Equal((-2.5, 7.25), (low, high));
            Assert.Equal(("-2.5", "7.25"), (labels.StripLow, labels.StripHigh));

            // The numbers sit on the last text line: margin max(padding, 1) from the sides, max(padding, 2) above the bottom.
            var top = image.Height - 2 - TextRenderer.CapHeight(1);
            AssertText(image, "-2.5", 1, top);
            AssertText(image, "7.25", image.Width - 1 - TextRenderer.MeasureWidth("7.25", 1), top);
        }
    }

    [Fact]
    public void ColorBar_PercentileScale_WritesThePercentilesNotTheExtremes()
    {
        using var scope = NewDisposeScope();
        using var valueCount = Scalars.Create(101);
        var values = arange(Scalars.Zero, valueCount, Scalars.One, dtype: ScalarType.Float32).reshape(1, 1, 101);
        var options = new FeatureMapGridOptions { Normalization = FeatureMapNormalization.Percentile, LowerPercentile = 10, UpperPercentile = 90 };

        var (image, _, _, _, labels) = FeatureMapGrid.RenderWithRange(values, options);
        image.Dispose();

        Assert.Equal(("10", "90"), (labels.StripLow, labels.StripHigh));
    }

    [Fact]
    public void ColorBar_PerMap_IsNotDrawnUnlessAsked_AndThenSaysItsEndsArePerTile()
    {
        using var scope = NewDisposeScope();
        var maps = rand(new long[] { 3, 4, 4 }, generator: new Generator(3));

        var (plain, _, _, _, plainLabels) = FeatureMapGrid.RenderWithRange(maps, new FeatureMapGridOptions());
        var (strip, _, _, _, stripLabels) = FeatureMapGrid.RenderWithRange(maps, new FeatureMapGridOptions { ColorBar = ColorBarMode.Always });
        using (plain)
        using (strip)
        {
            Assert.Null(plainLabels.StripLow);
            Assert.Equal(("tile min", "tile max"), (stripLabels.StripLow, stripLabels.StripHigh));
            Assert.True(strip.Height > plain.Height);
        }
    }

    [Fact]
    public void LabelsOff_FeatureMapGrids_EqualTheUnlabelledGoldensPixelForPixel()
    {
        using var scope = NewDisposeScope();
        using var rows = Scalars.Create(6);
        using var columns = Scalars.Create(8);
        using var centreColumn = Scalars.Create(3.5f);
        using var centreRow = Scalars.Create(2.5f);
        using var sineCount = Scalars.Create(4 * 5 * 5);
        var y = arange(Scalars.Zero, rows, Scalars.One, dtype: ScalarType.Float32).reshape(6, 1).expand(6, 8);
        var x = arange(Scalars.Zero, columns, Scalars.One, dtype: ScalarType.Float32).reshape(1, 8).expand(6, 8);
        var maps = stack([y, x, x.sub(centreColumn).pow(Scalars.Two).add(y.sub(centreRow).pow(Scalars.Two), Scalars.One), zeros(6, 8), x * y]);
        var sines = arange(Scalars.Zero, sineCount, Scalars.One, dtype: ScalarType.Float32).reshape(4, 5, 5).sin();

        using var pattern = FeatureMapGrid.Render(maps, new FeatureMapGridOptions
        {
            Scale = 3, Padding = 2, ColorBar = ColorBarMode.Always, ShowTitle = false, ShowChannelNumbers = false, ShowColorBarLabels = false,
        });
        using var magma = FeatureMapGrid.Render(sines, new FeatureMapGridOptions
        {
            Scale = 4, Padding = 1, Colormap = Colormap.Magma, Normalization = FeatureMapNormalization.PerLayer, ColorBar = ColorBarMode.Always,
            ShowTitle = false, ShowChannelNumbers = false, ShowColorBarLabels = false,
        });

        // perPixelThreshold 1 and imageThreshold 0: any differing pixel fails.
        GoldenImage.AssertMatches(pattern, nameof(FeatureMapGridTests), "Render_Pattern_MatchesGolden", 1, 0);
        GoldenImage.AssertMatches(magma, nameof(FeatureMapGridTests), "Render_PerLayerMagma_MatchesGolden", 1, 0);
    }

    [Fact]
    public void LabelsOff_FilterGrid_EqualsTheUnlabelledGoldenPixelForPixel()
    {
        using var model = FilterGridTests.CreateRgbModel();

        using var image = FilterGrid.RenderFirstLayer(model, new FilterGridOptions { Scale = 6, Padding = 2, ShowTitle = false, ShowChannelNumbers = false });

        GoldenImage.AssertMatches(image, nameof(FilterGridTests), "RenderFirstLayer_HandSetKernels_MatchesGolden", 1, 0);
    }

    [Theory]
    [InlineData(1, 14, 4, 1, true)]     // one channel: the title is wider than the grid
    [InlineData(5, 6, 3, 2, true)]      // an odd count: the last row is short
    [InlineData(512, 16, 3, 1, true)]   // 512 channels, three-digit numbers above 48-pixel tiles
    [InlineData(512, 3, 1, 1, false)]   // 3×3-pixel tiles: no room for numbers, rows numbered on the left instead
    [InlineData(64, 3, 1, 0, false)]    // no padding at all
    [InlineData(9, 60, 3, 1, true)]     // 180-pixel tiles: numbers at font scale 2
    public void Labels_NeverCoverATile_AndStayInsideTheCanvas(int count, int tileSize, int scale, int padding, bool numbersOnTiles)
    {
        var channels = Enumerable.Range(0, count).ToArray();
        var columns = (int)Math.Ceiling(Math.Sqrt(count));
        var labels = new GridLabels
        {
            Title = $"conv2d_9 \u00B7 layer 12 (R index 13) \u00B7 {tileSize}\u00D7{tileSize}\u00D7{count}",
            TileLabels = GridLabels.Numbers(channels),
            RowLabels = GridLabels.RowStarts(channels, columns),
            StripLow = "-0.001234",
            StripHigh = "12345",
        };

        var canvas = new TileCanvas(count, tileSize, tileSize, scale, columns, padding, colorStrip: true, labels);
        using var image = canvas.ToImage();

        Assert.Equal(numbersOnTiles, canvas.DrawsTileLabels);
        Assert.Equal(tileSize * scale >= TileCanvas.LargeTileLabelWidth ? 2 : 1, canvas.TileLabelScale);
        var ink = 0;
        var leftMarginInk = 0;
        var (gridLeft, _) = canvas.Origin(0);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                if (image[x, y] == TileCanvas.Background)
                {
                    continue;
                }

                ink++;
                leftMarginInk += x < gridLeft - padding ? 1 : 0;
                for (var i = 0; i < count; i++)
                {
                    var (left, top) = canvas.Origin(i);
                    Assert.False(
                        x >= left && x < left + (tileSize * scale) && y >= top && y < top + (tileSize * scale),
                        $"label pixel ({x}, {y}) lies on tile {i}");
                }
            }
        }

        Assert.True(ink > 0);
        Assert.Equal(!numbersOnTiles, leftMarginInk > 0);
        var (lastLeft, lastTop) = canvas.Origin(count - 1);
        Assert.True(lastLeft + (tileSize * scale) <= image.Width && lastTop + (tileSize * scale) <= canvas.StripTop);
        Assert.All(canvas.TitleLines, line => Assert.True(TextRenderer.MeasureWidth(line, canvas.TextScale) + 4 <= image.Width));
    }

    [Fact]
    public void RowStarts_NonConsecutiveChannels_AreNotNumberedByRow()
    {
        Assert.Equal(["0", "3", "6"], GridLabels.RowStarts([0, 1, 2, 3, 4, 5, 6], 3)!);
        Assert.Null(GridLabels.RowStarts([2, 0, 5], 2));
    }

    [Fact]
    public void FilterGrids_AutomaticTitles_NameTheLayerAndTheKernels()
    {
        using var model = new SequentialBuilder(8, 8, 3).AddConv2D(4, 3).AddConv2D(6, 3).Build();
        var first = new FilterGridOptions { Scale = 4 };
        var layer = new FilterGridOptions { Scale = 4, MaxFilters = 5 };

        AssertSameImage(
            FilterGrid.RenderFirstLayer(model, first),
            FilterGrid.RenderFirstLayer(model, new FilterGridOptions { Scale = 4, Title = "conv2d \u00B7 layer 0 (R index 1) \u00B7 6\u00D76\u00D74 \u00B7 kernels 3\u00D73\u00D73" }));
        AssertSameImage(
            FilterGrid.RenderLayer(model, "conv2d_1", layer),
            FilterGrid.RenderLayer(model, "conv2d_1", new FilterGridOptions
            {
                Scale = 4, MaxFilters = 5,
                Title = "conv2d_1 \u00B7 layer 1 (R index 2) \u00B7 4\u00D74\u00D76 \u00B7 kernels 3\u00D73\u00D74 \u00B7 rows: filters (first 5 of 6), columns: input channels",
            }));
    }

    [Fact]
    public void RenderPatterns_IsTitledAndNumbered_AndLabelsOffKeepsThePlainGrid()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        using var result = ActivationMaximization.RunLayer(model, "conv2d", options: new ActivationMaximizationOptions { Steps = 2 });

        using var plain = FilterGrid.RenderPatterns(model, result, new PatternGridOptions { Padding = 0, ShowTitle = false, ShowChannelNumbers = false });
        using var labelled = FilterGrid.RenderPatterns(model, result, new PatternGridOptions { Padding = 0 });

        Assert.Equal((48, 48), (plain.Width, plain.Height));
        Assert.True(labelled.Height > plain.Height && labelled.Width > plain.Width);
        AssertSameImage(
            FilterGrid.RenderPatterns(model, result, new PatternGridOptions { Padding = 0 }),
            FilterGrid.RenderPatterns(model, result, new PatternGridOptions
            {
                Padding = 0, Title = $"conv2d \u00B7 layer 0 (R index 1) \u00B7 14\u00D714\u00D71 \u00B7 1 channel maximised \u00B7 {result.StepsRun} steps",
            }));

        // The pattern itself is unchanged: the tile of the labelled grid (left edge, under the title and its number) equals the plain one.
        var origin = (0, labelled.Height - 48);
        for (var y = 0; y < 48; y++)
        {
            for (var x = 0; x < 48; x++)
            {
                Assert.Equal(plain[x, y], labelled[origin.Item1 + x, origin.Item2 + y]);
            }
        }
    }

    [Fact]
    public void RenderPatterns_ModelWithoutTheLayer_ThrowsNamingIt()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        using var other = new SequentialBuilder(16, 16, 1).AddConv2D(1, 3).AddConv2D(1, 3).Build();
        using var result = ActivationMaximization.RunLayer(other, "conv2d_1", options: new ActivationMaximizationOptions { Steps = 1 });

        var ex = Assert.Throws<ArgumentException>(() => FilterGrid.RenderPatterns(model, result).Dispose());

        Assert.Contains("'conv2d_1'", ex.Message);
    }

    [Fact]
    public void Render_LabelledPerLayerGrid_MatchesGolden()
    {
        using var scope = NewDisposeScope();
        using var elementCount = Scalars.Create(5 * 6 * 8);
        using var period = Scalars.Create(7f);
        using var amplitude = Scalars.Create(3f);
        var maps = arange(Scalars.Zero, elementCount, Scalars.One, dtype: ScalarType.Float32).reshape(5, 6, 8).div(period).sin().mul(amplitude);

        using var image = FeatureMapGrid.Render(maps, new FeatureMapGridOptions
        {
            Scale = 4, Padding = 2, Normalization = FeatureMapNormalization.PerLayer, Title = "demo \u00B7 layer 4 (R index 5) \u00B7 6\u00D78\u00D75",
        });

        GoldenImage.AssertMatches(image, nameof(GridLabelsTests));
    }

    [Fact]
    public void RenderLayer_LabelledKernels_MatchesGolden()
    {
        using var model = new SequentialBuilder(8, 8, 3).AddConv2D(4, 3).AddConv2D(6, 3).Build();
        using var elementCount = Scalars.Create(6 * 4 * 9);
        using var period = Scalars.Create(11f);
        using (var values = arange(Scalars.Zero, elementCount, Scalars.One, dtype: ScalarType.Float32).reshape(6, 4, 3, 3).div(period).cos())
        {
            model.SetWeight(1, "kernel", values);
        }

        using var image = FilterGrid.RenderLayer(model, "conv2d_1", new FilterGridOptions { Scale = 6, Colormap = Colormap.Viridis });

        GoldenImage.AssertMatches(image, nameof(GridLabelsTests));
    }

    [Fact]
    public void RenderFirstLayer_Labelled_MatchesGolden()
    {
        using var model = FilterGridTests.CreateRgbModel();

        using var image = FilterGrid.RenderFirstLayer(model, new FilterGridOptions { Scale = 6, Padding = 2 });

        GoldenImage.AssertMatches(image, nameof(GridLabelsTests));
    }

    private static void AssertText(Image<Rgb24> image, string text, int left, int top)
    {
        var width = TextRenderer.MeasureWidth(text, 1);
        var expected = new Rgb24[width * 7];
        Array.Fill(expected, s_white);
        TextRenderer.Draw(expected.AsSpan(), width, text, 0, 0, 1, TileCanvas.LabelInk);
        for (var y = 0; y < 7; y++)
        {
            for (var x = 0; x < width; x++)
            {
                Assert.True(expected[(y * width) + x] == image[left + x, top + y], $"'{text}' pixel ({x}, {y})");
            }
        }
    }

    private static void AssertSameImage(Image<Rgb24> a, Image<Rgb24> b)
    {
        using (a)
        using (b)
        {
            Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
            Assert.True(GoldenImage.Compare(a, b, 1, 0).Ok, "the automatic title differs from the expected text");
        }
    }
}
