// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>SeparableConv2D against values computed by hand: a depthwise convolution, then a pointwise 1 × 1 one with the bias.</summary>
public sealed class SeparableConv2DTests
{
    [Fact]
    public void ParameterCountWeightsAndShape_AsKeras()
    {
        using var model = new SequentialBuilder(8, 8, 16).Add(new SeparableConv2DOptions { Filters = 32, KernelSize = 3 }).Build();
        var layer = model.Layers[0];

        Assert.Equal((16 * 9) + (16 * 32) + 32, model.ParameterCount); // 688, as Keras' summary
        Assert.Equal("(None, 6, 6, 32)", layer.OutputShape.ToString());
        Assert.Equal(["depthwise_kernel", "pointwise_kernel", "bias"], layer.WeightNames);
        Assert.Equal([16L, 1, 3, 3], model.GetWeight(0, "depthwise_kernel").shape);
        Assert.Equal([32L, 16, 1, 1], model.GetWeight(0, "pointwise_kernel").shape);
        Assert.False(layer.Options.HasFilters);
    }

    [Fact]
    public void ParameterCount_WithMultiplierAndWithoutBias()
    {
        using var model = new SequentialBuilder(7, 7, 3)
            .Add(new SeparableConv2DOptions { Filters = 5, KernelSize = (3, 2), DepthMultiplier = 2, UseBias = false, Strides = 2, Padding = Padding.Same })
            .Build();

        Assert.Equal((3 * 2 * 3 * 2) + (6 * 5), model.ParameterCount);
        Assert.Equal("(None, 4, 4, 5)", model.Layers[0].OutputShape.ToString());
    }

    [Theory]
    [InlineData(Activation.Linear, 20.5f, -1f)]
    [InlineData(Activation.ReLU, 20.5f, 0f)]
    public void Predict_DepthwiseThenPointwise_MatchesHandComputedValues(Activation activation, float first, float second)
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(3, 3, 2)
            .Add(new SeparableConv2DOptions { Filters = 2, KernelSize = 3, DepthMultiplier = 2, Activation = activation })
            .Build();
        SetWeights(model, 0);

        // Channel 0 all ones, channel 1 all twos. Depthwise kernels (c0,m0) all 1 → 9, (c0,m1) all 0.5 → 4.5,
        // (c1,m0) all 1 → 18, (c1,m1) centre 1 → 2. Pointwise: 9 + 0.5·18 + 2 + 0.5 = 20.5 and −9 + 2·4.5 − 1 = −1.
        var output = model.Forward(Input());

        Assert.Equal([1L, 2, 1, 1], output.shape);
        var values = output.flatten().data<float>().ToArray();
        Assert.Equal(first, values[0], 1e-5f);
        Assert.Equal(second, values[1], 1e-5f);
    }

    [Fact]
    public void ExplicitPadding_EqualsZeroPaddingThenValid()
    {
        using var scope = NewDisposeScope();
        var options = new SeparableConv2DOptions { Filters = 3, KernelSize = 2, Strides = 2, DepthMultiplier = 2 };
        using var padded = new SequentialBuilder(5, 4, 2).WithSeed(4).Add(options with { ExplicitPadding = new Padding2D(1, 0, 2, 1) }).Build();
        using var reference = new SequentialBuilder(5, 4, 2)
            .AddZeroPadding2D(new ZeroPadding2DOptions { Top = 1, Bottom = 0, Left = 2, Right = 1 })
            .Add(options)
            .Build();
        foreach (var name in padded.Layers[0].WeightNames)
        {
            using var weight = padded.GetWeight(0, name);
            reference.SetWeight(1, name, weight);
        }

        var input = randn([2, 2, 5, 4], generator: new Generator(8));

        Assert.Equal("(None, 3, 3, 3)", padded.OutputShape.ToString());
        Assert.Equal(reference.OutputShape, padded.OutputShape);
        Assert.True(padded.Forward(input).allclose(reference.Forward(input), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void SavedAndLoaded_GivesTheSameOutputs()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(6, 6, 2).WithSeed(3)
            .Add(new SeparableConv2DOptions
            {
                Filters = 4,
                KernelSize = 3,
                DepthMultiplier = 3,
                DilationRate = 2,
                Activation = Activation.HardSigmoid,
                PointwiseInitializer = Initializer.HeNormal,
                BiasInitializer = Initializer.Ones,
            })
            .Add(new SeparableConv2DOptions { Filters = 2, KernelSize = 2, ExplicitPadding = new Padding2D(0, 1, 1, 0), UseBias = false })
            .Build();
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;

        using var loaded = Model.Load(stream);
        var input = rand([2, 2, 6, 6], generator: new Generator(5));

        Assert.Equal(model.Layers.Select(l => l.Options), loaded.Layers.Select(l => l.Options));
        Assert.True(model.Forward(input).equal(loaded.Forward(input)).all().item<bool>());
    }

    [Fact]
    public void BadOptions_ThrowNamingTheOptionOrTheLayer()
    {
        Assert.Equal("Filters", Assert.Throws<ArgumentOutOfRangeException>(() => new SeparableConv2DOptions { Filters = 0, KernelSize = 3 }).ParamName);
        Assert.Equal("DepthMultiplier", Assert.Throws<ArgumentOutOfRangeException>(() => new SeparableConv2DOptions { Filters = 1, KernelSize = 3, DepthMultiplier = 0 }).ParamName);
        var tooSmall = Assert.Throws<ArgumentException>(() => new SequentialBuilder(2, 2, 1).Add(new SeparableConv2DOptions { Filters = 1, KernelSize = 3 }));
        Assert.Contains("'separable_conv2d' (SeparableConv2D)", tooSmall.Message, StringComparison.Ordinal);
    }

    private static Tensor Input()
    {
        var values = new float[18];
        Array.Fill(values, 1f, 0, 9);
        Array.Fill(values, 2f, 9, 9);
        return tensor(values).reshape(1, 2, 3, 3);
    }

    private static void SetWeights(Model model, int layer)
    {
        var depthwise = new float[4 * 9];
        Array.Fill(depthwise, 1f, 0, 9);
        Array.Fill(depthwise, 0.5f, 9, 9);
        Array.Fill(depthwise, 1f, 18, 9);
        depthwise[27 + 4] = 1f;
        model.SetWeight(layer, "depthwise_kernel", tensor(depthwise).reshape(4, 1, 3, 3));
        model.SetWeight(layer, "pointwise_kernel", tensor(new[] { 1f, 0f, 0.5f, 1f, -1f, 2f, 0f, 0f }).reshape(2, 4, 1, 1));
        model.SetWeight(layer, "bias", tensor(new[] { 0.5f, -1f }));
    }
}
