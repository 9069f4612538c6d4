// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

public sealed class SequentialBuilderTests
{
    [Fact]
    public void Build_BlogModel_Has385090Parameters()
    {
        using var model = BlogModel.CreateBuilder().Build();

        Assert.Equal(385_090, model.ParameterCount);
        // The count is taken from the real TorchSharp parameters, so compare with the module too.
        Assert.Equal(385_090, model.Module.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Build_BlogModel_InfersKerasShapes()
    {
        var builder = BlogModel.CreateBuilder();

        Assert.Equal("(None, 2)", builder.OutputShape.ToString());
        using var model = builder.Build();
        Assert.Equal("(None, 148, 148, 8)", model.Layers[0].OutputShape.ToString());
        Assert.Equal("(None, 33, 33, 64)", model.Layers[5].OutputShape.ToString());
        Assert.Equal("(None, 3136)", model.Layers[8].OutputShape.ToString());
        Assert.Equal(["conv2d", "conv2d_1", "max_pooling2d", "conv2d_2"], model.Layers.Take(4).Select(l => l.Name));
    }

    [Fact]
    public void Forward_BlogModel_ReturnsProbabilities()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        manual_seed(1);
        var input = rand(4, 3, 150, 150);

        var output = model.Forward(input);

        Assert.Equal([4L, 2L], output.shape);
        var sums = output.sum(1);
        Assert.True(sums.allclose(ones(4), atol: 1e-5), "softmax rows must sum to 1");
    }

    [Fact]
    public void Forward_WrongInputShape_ThrowsNamingBothShapes()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();

        var ex = Assert.Throws<ArgumentException>(() => model.Forward(rand(1, 3, 64, 64)));

        Assert.Contains("[N, 3, 150, 150]", ex.Message);
        Assert.Contains("[1, 3, 64, 64]", ex.Message);
    }

    [Fact]
    public void AddConv2D_KernelLargerThanInput_FailsAtAdd()
    {
        var builder = new SequentialBuilder(2, 2, 1);

        var ex = Assert.Throws<ArgumentException>(() => builder.AddConv2D(4, 3));

        Assert.Contains("conv2d", ex.Message);
        Assert.Contains("(None, 2, 2, 1)", ex.Message);
    }

    [Fact]
    public void AddDense_OnFeatureMap_FailsAndSuggestsFlatten()
    {
        var builder = new SequentialBuilder(8, 8, 1).AddConv2D(2, 3);

        var ex = Assert.Throws<ArgumentException>(() => builder.AddDense(10));

        Assert.Contains("Flatten", ex.Message);
    }
}
