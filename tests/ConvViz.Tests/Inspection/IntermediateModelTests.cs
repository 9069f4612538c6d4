// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class IntermediateModelTests
{
    [Fact]
    public void Predict_LayerIndex5_IsTheBlogsLayer6Activation()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var input = rand(1, 3, 150, 150);

        using var activation = IntermediateModel.From(model, layerIndex: 5).Predict(input);

        Assert.Equal([1L, 64L, 33L, 33L], activation.shape);
        Assert.True(activation.min().item<float>() >= 0, "layer 5 is a ReLU conv");
    }

    [Fact]
    public void Predict_MatchesTheFullNetworksPrefix()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var input = rand(2, 3, 150, 150);

        using var viaIntermediate = IntermediateModel.From(model, -1).Predict(input);
        using var viaForward = model.Forward(input);

        Assert.True(viaIntermediate.allclose(viaForward, rtol: 1e-5, atol: 1e-6));
    }

    [Theory]
    [InlineData(23)]
    [InlineData(-24)]
    public void From_IndexOutOfRange_ThrowsWithValidRange(int index)
    {
        using var model = BlogModel.CreateBuilder().Build();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => IntermediateModel.From(model, index));

        Assert.Contains("0..22", ex.Message);
    }
}
