// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Visualization;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Visualization;

public sealed class ColormapTablesTests
{
    [Theory]
    [InlineData(Colormap.Viridis, 0x44, 0x01, 0x54, 0xFD, 0xE7, 0x25)]
    [InlineData(Colormap.Magma, 0x00, 0x00, 0x04, 0xFC, 0xFD, 0xBF)]
    [InlineData(Colormap.Inferno, 0x00, 0x00, 0x04, 0xFC, 0xFF, 0xA4)]
    [InlineData(Colormap.Jet, 0, 0, 128, 128, 0, 0)]
    [InlineData(Colormap.Gray, 0, 0, 0, 255, 255, 255)]
    public void Get_Endpoints_MatchTheDefinitions(Colormap colormap, byte r0, byte g0, byte b0, byte r1, byte g1, byte b1)
    {
        var table = ColormapTables.Get(colormap);

        Assert.Equal(256, table.Length);
        Assert.Equal(new Rgb24(r0, g0, b0), table[0]);
        Assert.Equal(new Rgb24(r1, g1, b1), table[255]);
    }

    [Theory]
    [InlineData(Colormap.Viridis)]
    [InlineData(Colormap.Magma)]
    [InlineData(Colormap.Inferno)]
    [InlineData(Colormap.Gray)]
    public void Get_PerceptualScales_GetBrighterMonotonically(Colormap colormap)
    {
        var table = ColormapTables.Get(colormap);
        static double Luma(Rgb24 c) => (0.299 * c.R) + (0.587 * c.G) + (0.114 * c.B);

        for (var i = 8; i < 256; i += 8)
        {
            Assert.True(Luma(table[i]) > Luma(table[i - 8]), $"{colormap} at {i}");
        }
    }

    [Fact]
    public void Get_JetMiddle_IsGreenish()
    {
        var middle = ColormapTables.Get(Colormap.Jet)[128];

        Assert.True(middle.G > 250 && middle.R < 140 && middle.B < 140, middle.ToString());
    }

    [Fact]
    public void Map_NaNAndOutOfRange_AreClamped()
    {
        var table = ColormapTables.Get(Colormap.Gray);

        Assert.Equal(table[0], ColormapTables.Map(table, double.NaN));
        Assert.Equal(table[0], ColormapTables.Map(table, -3));
        Assert.Equal(table[255], ColormapTables.Map(table, 7));
    }
}
