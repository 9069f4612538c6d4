// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Tests.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Parity;

/// <summary>Keras' <c>load_img</c> resizes with Pillow NEAREST; ConvViz must pick the very same source pixels.</summary>
public sealed class PillowNearestResizeTests : IDisposable
{
    private static readonly PillowNearestFixture s_fixture = ParityFixtures.Read<PillowNearestFixture>("pillow-nearest.json");
    private readonly TempDirectory _temp = new();

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < s_fixture.Cases.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [MemberData(nameof(Cases))]
    public void LoadPixels_NearestResize_PicksPillowsSourcePixels(int index)
    {
        var expected = s_fixture.Cases[index];
        using var image = CoordinateCoded(expected.SourceWidth, expected.SourceHeight);
        var path = TestImages.SavePng(image, _temp.Combine($"coded-{index}.png"));
        var preprocessing = new ImagePreprocessing { TargetWidth = expected.Width, TargetHeight = expected.Height };

        using var pixels = ImageLoader.LoadPixels(path, preprocessing, ImageDecodingOptions.Default);

        var values = pixels.data<float>().ToArray();
        var plane = expected.Width * expected.Height;
        var columns = new int[expected.Width];
        var rows = new int[expected.Height];
        for (var y = 0; y < expected.Height; y++)
        {
            for (var x = 0; x < expected.Width; x++)
            {
                var at = (y * expected.Width) + x;
                int r = (int)values[at], g = (int)values[plane + at], b = (int)values[(2 * plane) + at];
                var sourceX = r + (256 * (g & 15));
                var sourceY = b + (256 * (g >> 4));
                if (y > 0)
                {
                    Assert.Equal(columns[x], sourceX); // nearest resize is separable
                }

                if (x > 0)
                {
                    Assert.Equal(rows[y], sourceY);
                }

                columns[x] = sourceX;
                rows[y] = sourceY;
            }
        }

        Assert.Equal(expected.Columns, columns);
        Assert.Equal(expected.Rows, rows);
    }

    [Fact]
    public void NearestIndices_500To150_Column25IsSourceColumn84()
    {
        // The example: the closed form floor((25 + 0.5) · 500 / 150) = 85, Pillow's running sum gives 84.
        Assert.Equal(84, ImagePixels.NearestIndices(500, 150)[25]);
    }

    /// <summary>Pixel (x, y) = (x mod 256, x / 256 + 16 · (y / 256), y mod 256), the encoding the generator script uses.</summary>
    private static Image<Rgb24> CoordinateCoded(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(a =>
        {
            for (var y = 0; y < a.Height; y++)
            {
                var row = a.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)(x & 255), (byte)((x >> 8) | ((y >> 8) << 4)), (byte)(y & 255));
                }
            }
        });
        return image;
    }
}
