// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Visualization;

public sealed class FeatureMapGridTests
{
    private static readonly FeatureMapGridOptions s_plainGray = new() { Colormap = Colormap.Gray, Scale = 1, Padding = 0, ShowTitle = false, ShowChannelNumbers = false, ColorBar = ColorBarMode.Never };

    [Fact]
    public void Render_AsymmetricPattern_KeepsRowZeroAtTheTopAndColumnZeroOnTheLeft()
    {
        using var scope = NewDisposeScope();

        // An "L"-free asymmetric glyph: bright top-right corner, half-bright bottom-left corner, black elsewhere.
        var map = zeros(1, 1, 5, 7);
        map[0, 0, 0, 6] = 1f;
        map[0, 0, 4, 0] = 0.5f;

        using var image = FeatureMapGrid.Render(map, s_plainGray);

        Assert.Equal((7, 5), (image.Width, image.Height));
        Assert.Equal(new Rgb24(255, 255, 255), image[6, 0]);
        Assert.Equal(new Rgb24(128, 128, 128), image[0, 4]);
        Assert.Equal(new Rgb24(0, 0, 0), image[0, 0]);
        Assert.Equal(new Rgb24(0, 0, 0), image[6, 4]);
    }

    [Fact]
    public void Render_FiveChannels_UsesCeilSqrtColumnsAndPadding()
    {
        using var scope = NewDisposeScope();
        var maps = rand(new long[] { 1, 5, 2, 3 }, generator: new Generator(1));

        using var image = FeatureMapGrid.Render(maps, new FeatureMapGridOptions { Scale = 2, Padding = 1, ShowTitle = false, ShowChannelNumbers = false, ColorBar = ColorBarMode.Never });

        // 3 columns × 2 rows of 6×4 tiles with 1-pixel padding between and around.
        Assert.Equal(((3 * 6) + 4, (2 * 4) + 3), (image.Width, image.Height));
        Assert.Equal(new Rgb24(255, 255, 255), image[0, 0]);
        Assert.Equal(new Rgb24(255, 255, 255), image[image.Width - 2, image.Height - 2]);
    }

    [Fact]
    public void Render_SetColumns_WrapsRows()
    {
        using var scope = NewDisposeScope();

        using var image = FeatureMapGrid.Render(rand(4, 2, 2), new FeatureMapGridOptions { Columns = 4, Scale = 1, Padding = 0, ShowTitle = false, ShowChannelNumbers = false, ColorBar = ColorBarMode.Never });

        Assert.Equal((8, 2), (image.Width, image.Height));
    }

    [Fact]
    public void Render_DeadChannel_IsANeutralTileNotNaNOrNoise()
    {
        using var scope = NewDisposeScope();
        using var pixelCount = Scalars.Create(16);
        var maps = stack([zeros(4, 4), arange(Scalars.Zero, pixelCount, Scalars.One, dtype: ScalarType.Float32).reshape(4, 4)]);

        using var image = FeatureMapGrid.Render(maps, new FeatureMapGridOptions { Columns = 2, Scale = 1, Padding = 0, ShowTitle = false, ShowChannelNumbers = false, ColorBar = ColorBarMode.Never });

        var marker = new Rgb24(176, 176, 176);
        var neutral = new Rgb24(128, 128, 128);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                Assert.Equal(x == y ? marker : neutral, image[x, y]);
            }
        }

        Assert.NotEqual(neutral, image[4, 0]);
    }

    [Fact]
    public void Render_PerLayer_SharesOneScaleWhilePerMapStretchesEach()
    {
        using var scope = NewDisposeScope();
        var maps = stack([tensor(new float[] { 0, 1 }).reshape(1, 2), tensor(new float[] { 0, 0.5f }).reshape(1, 2)]);

        using var perMap = FeatureMapGrid.Render(maps, s_plainGray);
        using var perLayer = FeatureMapGrid.Render(maps, new FeatureMapGridOptions
        {
            Colormap = Colormap.Gray, Scale = 1, Padding = 0, Normalization = FeatureMapNormalization.PerLayer,
            ShowTitle = false, ShowChannelNumbers = false, ColorBar = ColorBarMode.Never,
        });

        // Two 1×2 tiles side by side (⌈√2⌉ = 2 columns): the second tile's bright pixel is at x = 3.
        Assert.Equal(255, perMap[3, 0].R);
        Assert.Equal(128, perLayer[3, 0].R);
        Assert.Equal(255, perLayer[1, 0].R);
    }

    [Fact]
    public void Render_Percentile_ClipsAnOutlier()
    {
        using var scope = NewDisposeScope();
        using var valueCount = Scalars.Create(100);
        var values = arange(Scalars.Zero, valueCount, Scalars.One, dtype: ScalarType.Float32);
        values[99] = 1e6f;
        var map = values.reshape(1, 10, 10);
        var percentile = new FeatureMapGridOptions
        {
            Colormap = Colormap.Gray, Scale = 1, Padding = 0, Normalization = FeatureMapNormalization.Percentile,
            LowerPercentile = 0, UpperPercentile = 98, ShowTitle = false, ShowChannelNumbers = false, ColorBar = ColorBarMode.Never,
        };

        using var clipped = FeatureMapGrid.Render(map, percentile);
        using var stretched = FeatureMapGrid.Render(map, s_plainGray);

        Assert.InRange(clipped[5, 4].R, 115, 121);  // value 45 of 0..97.02 → 118
        Assert.Equal(0, stretched[5, 4].R);         // crushed by the outlier
        Assert.Equal(255, clipped[9, 9].R);
    }

    [Fact]
    public void Render_SelectedChannels_DrawsOnlyThoseInOrder()
    {
        using var scope = NewDisposeScope();
        using var one = Scalars.Create(1f);
        using var pixelCount = Scalars.Create(4);
        var maps = stack([full(2, 2, one), zeros(2, 2), arange(Scalars.Zero, pixelCount, Scalars.One, dtype: ScalarType.Float32).reshape(2, 2)]);

        using var image = FeatureMapGrid.Render(maps, new FeatureMapGridOptions { Channels = [2, 0], Colormap = Colormap.Gray, Scale = 1, Padding = 0, ShowTitle = false, ShowChannelNumbers = false, ColorBar = ColorBarMode.Never });

        Assert.Equal((4, 2), (image.Width, image.Height));
        Assert.Equal(0, image[0, 0].R);
        Assert.Equal(255, image[1, 1].R);
        Assert.Equal(128, image[3, 0].R);   // channel 0 is constant: neutral tile (its diagonal marker is at [2, 0])
    }

    [Fact]
    public void Render_Fourteen_AutoUpscalesToAtLeast48Pixels()
    {
        using var scope = NewDisposeScope();

        using var image = FeatureMapGrid.Render(rand(1, 16, 14, 14), new FeatureMapGridOptions { Padding = 0 });

        Assert.Equal(4 * 14 * 4, image.Width);
    }

    [Fact]
    public void Render_BatchSample_DrawsTheChosenSample()
    {
        using var scope = NewDisposeScope();
        using var pixelCount = Scalars.Create(4);
        var batch = stack([zeros(1, 2, 2), arange(Scalars.Zero, pixelCount, Scalars.One, dtype: ScalarType.Float32).reshape(1, 2, 2)]);

        using var image = FeatureMapGrid.Render(batch, new FeatureMapGridOptions { SampleIndex = 1, Colormap = Colormap.Gray, Scale = 1, Padding = 0, ShowTitle = false, ShowChannelNumbers = false, ColorBar = ColorBarMode.Never });

        Assert.Equal(255, image[1, 1].R);
        Assert.Throws<ArgumentException>(() => FeatureMapGrid.Render(batch, new FeatureMapGridOptions { SampleIndex = 2 }));
    }

    [Fact]
    public void Render_FlatActivations_ThrowsExplaining()
    {
        using var scope = NewDisposeScope();

        var ex = Assert.Throws<ArgumentException>(() => FeatureMapGrid.Render(rand(1, 64)).Dispose());

        Assert.Contains("Flat", ex.Message);
    }

    [Fact]
    public void Render_Pattern_MatchesGolden()
    {
        using var scope = NewDisposeScope();
        using var rows = Scalars.Create(6);
        using var columns = Scalars.Create(8);
        using var centreColumn = Scalars.Create(3.5f);
        using var centreRow = Scalars.Create(2.5f);
        var y = arange(Scalars.Zero, rows, Scalars.One, dtype: ScalarType.Float32).reshape(6, 1).expand(6, 8);
        var x = arange(Scalars.Zero, columns, Scalars.One, dtype: ScalarType.Float32).reshape(1, 8).expand(6, 8);
        var maps = stack([y, x, x.sub(centreColumn).pow(Scalars.Two).add(y.sub(centreRow).pow(Scalars.Two), Scalars.One), zeros(6, 8), x * y]);

        using var image = FeatureMapGrid.Render(maps, new FeatureMapGridOptions { Scale = 3, Padding = 2, ColorBar = ColorBarMode.Always, ShowTitle = false, ShowChannelNumbers = false, ShowColorBarLabels = false });

        GoldenImage.AssertMatches(image, nameof(FeatureMapGridTests));
    }

    [Fact]
    public void Render_PerLayerMagma_MatchesGolden()
    {
        using var scope = NewDisposeScope();
        using var elementCount = Scalars.Create(4 * 5 * 5);
        var maps = arange(Scalars.Zero, elementCount, Scalars.One, dtype: ScalarType.Float32).reshape(4, 5, 5).sin();

        using var image = FeatureMapGrid.Render(maps, new FeatureMapGridOptions
        {
            Scale = 4, Padding = 1, Colormap = Colormap.Magma, Normalization = FeatureMapNormalization.PerLayer, ColorBar = ColorBarMode.Always,
            ShowTitle = false, ShowChannelNumbers = false, ShowColorBarLabels = false,
        });

        GoldenImage.AssertMatches(image, nameof(FeatureMapGridTests));
    }

    [Fact]
    public void Save_WritesAPng()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(Path.GetTempPath(), $"convviz-grid-{Environment.ProcessId}.png");
        try
        {
            FeatureMapGrid.Save(rand(3, 4, 4), path);

            using var loaded = Image.Load<Rgb24>(path);
            Assert.True(loaded.Width > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
