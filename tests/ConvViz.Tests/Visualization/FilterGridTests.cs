// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Tests.Inspection;
using ConvViz.Visualization;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Visualization;

public sealed class FilterGridTests
{
    [Fact]
    public void RenderFirstLayer_HandSetKernels_DrawsEachFilterInItsColours()
    {
        using var model = CreateRgbModel();

        using var image = FilterGrid.RenderFirstLayer(model, new FilterGridOptions { Scale = 1, Padding = 0, ShowTitle = false, ShowChannelNumbers = false });

        // 4 filters in 2×2 tiles of 3×3. Filter 0: red at its top-left; filter 1: blue at its bottom-right.
        Assert.Equal((6, 6), (image.Width, image.Height));
        Assert.Equal(new Rgb24(255, 0, 0), image[0, 0]);
        Assert.Equal(new Rgb24(0, 0, 0), image[2, 2]);
        Assert.Equal(new Rgb24(0, 0, 255), image[5, 2]);
        Assert.Equal(new Rgb24(128, 128, 128), image[5, 3]); // filter 3 is constant: neutral tile
    }

    [Fact]
    public void RenderFirstLayer_HandSetKernels_MatchesGolden()
    {
        using var model = CreateRgbModel();

        using var image = FilterGrid.RenderFirstLayer(model, new FilterGridOptions { Scale = 6, Padding = 2, ShowTitle = false, ShowChannelNumbers = false });

        GoldenImage.AssertMatches(image, nameof(FilterGridTests));
    }

    [Fact]
    public void RenderLayer_DeeperConv_HasOneRowPerFilterAndOneColumnPerInputChannel()
    {
        using var model = BlogModel.CreateBuilder().Build();

        using var image = FilterGrid.RenderLayer(model, "conv2d_1", new FilterGridOptions { Scale = 3, Padding = 1, MaxFilters = 5, ShowTitle = false, ShowChannelNumbers = false, ShowColorBarLabels = false });

        // conv2d_1 has 16 filters reading 8 channels: 5 rows × 8 columns of 9×9 tiles, plus the colour-scale strip.
        Assert.Equal((8 * 9) + 9, image.Width);
        Assert.True(image.Height > (5 * 9) + 6);
    }

    [Fact]
    public void RenderLayer_DenseLayer_ThrowsNamingTheConvLayers()
    {
        using var model = KnownAnswerModel.Create();

        var ex = Assert.Throws<ArgumentException>(() => FilterGrid.RenderLayer(model, "dense").Dispose());

        Assert.Contains("conv2d", ex.Message);
    }

    [Fact]
    public void RenderPatterns_ActivationMaximisationResult_DrawsOneTilePerFilter()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        using var result = ActivationMaximization.RunLayer(model, "conv2d", options: new ActivationMaximizationOptions { Steps = 2 });

        using var image = FilterGrid.RenderPatterns(model, result, new PatternGridOptions { Padding = 0, ShowTitle = false, ShowChannelNumbers = false });

        Assert.Equal((48, 48), (image.Width, image.Height));
    }

    internal static Model CreateRgbModel()
    {
        var model = new SequentialBuilder(8, 8, 3).AddConv2D(4, 3).Build();
        var kernel = zeros(4, 3, 3, 3);
        kernel[0, 0, 0, 0] = 1f;                // filter 0: red, top-left
        kernel[1, 2, 2, 2] = 2f;                // filter 1: blue, bottom-right
        using var elementCount = Scalars.Create(27);
        using var middle = Scalars.Create(13f);
        using var constant = Scalars.Create(0.25f);
        kernel[2] = arange(Scalars.Zero, elementCount, Scalars.One, dtype: ScalarType.Float32).reshape(3, 3, 3).sub(middle);
        kernel[3] = full(3, 3, 3, constant);    // filter 3: constant
        model.SetWeight(0, "kernel", kernel);

        kernel.Dispose();
        return model;
    }
}
