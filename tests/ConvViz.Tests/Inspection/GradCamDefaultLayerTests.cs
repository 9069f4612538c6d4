// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

/// <summary><see cref="GradCam.DefaultLayer"/>: the last convolution among the feature-map layers that lead to the classifier.</summary>
public sealed class GradCamDefaultLayerTests
{
    [Fact]
    public void Blog_model_keeps_its_last_Conv2D_layer()
    {
        using var model = BlogModel.CreateBuilder().Build();

        var layer = GradCam.DefaultLayer(model);

        Assert.Equal(("conv2d_4", 7), (layer.Name, layer.Index));

        // The rule before capabilities: the last Conv2D layer with spatial output.
        Assert.Same(model.Layers.Last(l => l.Options is Conv2DOptions && l.OutputShape.IsSpatial), layer);
    }

    [Fact]
    public void Blog_model_maps_with_the_default_layer_equal_the_maps_of_conv2d_4_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().WithSeed(3).Build();
        var input = rand(new long[] { 1, 3, 150, 150 }, generator: new Generator(11));

        using var byDefaultResult = GradCam.Compute(model, input, 1);
        var byDefault = byDefaultResult.Maps[0];
        using var namedResult = GradCam.Compute(model, input, 1, new GradCamOptions { LayerName = "conv2d_4" });
        var named = namedResult.Maps[0];

        Assert.Equal(byDefault.shape, named.shape);
        Assert.True(byDefault.equal(named).all().item<bool>());
    }

    [Fact]
    public void Model_ending_in_GlobalAveragePooling2D_takes_its_last_convolution()
    {
        using var model = new SequentialBuilder(16, 16, 3)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(8, 3)
            .AddBatchNormalization()
            .AddActivation(Activation.ReLU)
            .AddGlobalAveragePooling2D()
            .AddDense(2, Activation.Softmax)
            .Build();

        Assert.Equal("conv2d_1", GradCam.DefaultLayer(model).Name);
    }

    [Fact]
    public void Pooling_after_the_last_convolution_keeps_the_convolution()
    {
        using var model = new SequentialBuilder(16, 16, 3)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddFlatten()
            .AddDense(2, Activation.Softmax)
            .Build();

        Assert.Equal("conv2d", GradCam.DefaultLayer(model).Name);
    }

    [Fact]
    public void Without_a_convolution_the_last_feature_map_layer_that_acts_at_inference_is_taken()
    {
        using var model = new SequentialBuilder(16, 16, 3)
            .AddMaxPooling2D(2)
            .AddZeroPadding2D(1, 1)
            .AddDropout(0.5)
            .AddGlobalMaxPooling2D()
            .AddDense(2, Activation.Softmax)
            .Build();

        Assert.Equal("zero_padding2d", GradCam.DefaultLayer(model).Name);
    }

    [Fact]
    public void No_feature_map_layer_or_a_spatial_output_is_refused()
    {
        using var flat = new SequentialBuilder(4, 4, 1).AddFlatten().AddDense(2).Build();
        using var spatial = new SequentialBuilder(8, 8, 3).AddConv2D(2, 3).Build();

        var none = Assert.Throws<ArgumentException>(() => GradCam.DefaultLayer(flat));
        var notScores = Assert.Throws<ArgumentException>(() => GradCam.DefaultLayer(spatial));

        Assert.Contains("feature maps", none.Message, StringComparison.Ordinal);
        Assert.Contains("not class scores", notScores.Message, StringComparison.Ordinal);
    }
}
