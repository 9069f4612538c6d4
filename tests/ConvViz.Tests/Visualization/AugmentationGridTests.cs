// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Imaging;
using ConvViz.Tests.Data;
using ConvViz.Visualization;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Visualization;

public sealed class AugmentationGridTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Render_TwoImagesThreeVariants_LaysOutRowsWithTheLoadedImageFirst()
    {
        var a = TestImages.SavePng(TestImages.Coordinates(12, 10), Path.Combine(_temp.Path, "a.png"));
        var b = TestImages.SavePng(TestImages.Solid(12, 10, new Rgb24(200, 10, 10)), Path.Combine(_temp.Path, "b.png"));
        var preprocessing = new ImagePreprocessing { TargetHeight = 10, TargetWidth = 12 };
        var flip = new Augmenter(new AugmentationOptions { HorizontalFlip = true, RotationRange = 30 });

        using var grid = AugmentationGrid.Render(flip, preprocessing, [a, b], variants: 3, seed: 7);
        using var again = AugmentationGrid.Render(flip, preprocessing, [a, b], variants: 3, seed: 7);

        Assert.Equal((4 * 12) + (3 * 4), grid.Width);
        Assert.Equal((2 * 10) + 4, grid.Height);
        using var original = SixLabors.ImageSharp.Image.Load<Rgb24>(a);
        for (var y = 0; y < 10; y++)
        {
            for (var x = 0; x < 12; x++)
            {
                Assert.Equal(original[x, y], grid[x, y]); // column 0: as loaded
            }
        }

        Assert.Equal(new Rgb24(255, 255, 255), grid[12, 0]);  // the gap
        Assert.Equal(new Rgb24(200, 10, 10), grid[0, 14]);    // row 1 starts after the gap
        var differs = false;
        for (var y = 0; y < 10 && !differs; y++)
        {
            for (var x = 0; x < 12 && !differs; x++)
            {
                differs = grid[16 + x, y] != grid[x, y];
                Assert.Equal(again[16 + x, y], grid[16 + x, y]); // seeded
            }
        }

        Assert.True(differs, "the first augmentation equals the original");
    }

    [Fact]
    public void Render_BadCounts_Throw()
    {
        var augmenter = new Augmenter(new AugmentationOptions());
        var preprocessing = new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4 };
        Assert.Throws<ArgumentException>(() => AugmentationGrid.Render(augmenter, preprocessing, []));
        Assert.Throws<ArgumentException>(() => AugmentationGrid.Render(augmenter, preprocessing, [.. Enumerable.Repeat("x.png", 9)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => AugmentationGrid.Render(augmenter, preprocessing, ["x.png"], variants: 0));
    }
}
