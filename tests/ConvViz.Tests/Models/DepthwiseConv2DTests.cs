// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>DepthwiseConv2D against values computed by hand: each channel with its own kernels, Keras' channel order.</summary>
public sealed class DepthwiseConv2DTests
{
    private static readonly Scalar s_two = 2.0.ToScalar();
    private static readonly Scalar s_half = 0.5.ToScalar();

    [Fact]
    public void Predict_TwoChannelsTimesTwo_EachChannelWithItsOwnKernels_InKerasOrder()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(3, 3, 2).AddDepthwiseConv2D(3, depthMultiplier: 2).Build();
        SetWeights(model);

        // Channel 0 is all ones, channel 1 all twos; kernels (c0,m0) all 1, (c0,m1) all 0.5, (c1,m0) all 1, (c1,m1)
        // only the centre 1; biases 0.1, 0.2, 0.3, 0.4. Outputs: 9.1, 4.7, 18.3, 2.4.
        var input = cat([ones(1, 1, 3, 3), full(1, 1, 3, 3, s_two)], 1);
        var output = model.Predict(input);

        Assert.Equal([1L, 4, 1, 1], output.shape);
        var values = output.flatten().data<float>().ToArray();
        float[] expected = [9.1f, 4.7f, 18.3f, 2.4f];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], values[i], 1e-5f);
        }
    }

    [Fact]
    public void Shapes_ParameterCountAndSamePaddingWithStrides_AsKeras()
    {
        using var model = new SequentialBuilder(8, 8, 3)
            .AddDepthwiseConv2D(new DepthwiseConv2DOptions { KernelSize = 3, Strides = 2, Padding = ConvViz.Models.Layers.Padding.Same, DepthMultiplier = 2 })
            .Build();

        Assert.Equal("(None, 4, 4, 6)", model.Layers[0].OutputShape.ToString());
        Assert.Equal((3 * 3 * 3 * 2) + 6, model.ParameterCount); // Keras: 54 kernel weights + 6 biases
        Assert.False(model.Layers[0].Options.HasFilters);
    }

    [Fact]
    public void SavedAndLoaded_GivesTheSameOutputs()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(6, 6, 2).WithSeed(3).AddDepthwiseConv2D(3, 2, Activation.ReLU).AddConv2D(4, 1).Build();
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;

        using var loaded = Model.Load(stream);
        var input = rand([2, 2, 6, 6], generator: new Generator(5));

        Assert.Equal(model.Layers[0].Options, loaded.Layers[0].Options);
        Assert.True(model.Predict(input).equal(loaded.Predict(input)).all().item<bool>());
    }

    [Fact]
    public void BadOptions_ThrowNamingTheOption()
    {
        Assert.Equal("DepthMultiplier", Assert.Throws<ArgumentOutOfRangeException>(() => new DepthwiseConv2DOptions { KernelSize = 3, DepthMultiplier = 0 }).ParamName);
        var tooSmall = Assert.Throws<ArgumentException>(() => new SequentialBuilder(2, 2, 1).AddDepthwiseConv2D(3).Build());
        Assert.Contains("depthwise_conv2d", tooSmall.Message, StringComparison.Ordinal);
    }

    private static void SetWeights(Model model)
    {
        using var noGrad = no_grad();
        var parameters = model.LayerModules[0].named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var kernel = zeros(4, 1, 3, 3);
        kernel[0] = ones(1, 3, 3);
        kernel[1] = full(1, 3, 3, s_half);
        kernel[2] = ones(1, 3, 3);
        kernel[3, 0, 1, 1] = ones(1).squeeze();
        parameters["depthwise_kernel"].copy_(kernel);
        parameters["bias"].copy_(tensor(new[] { 0.1f, 0.2f, 0.3f, 0.4f }));
    }
}
