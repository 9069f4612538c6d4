// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class SaliencyTests
{
    [Fact]
    public void Compute_BrightPatchDetector_PeaksAtThePatchCentre()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        using var mapResult = Saliency.Compute(model, KnownAnswerModel.CreateInput(), classIndex: 1);
        var map = mapResult.Maps[0];

        Assert.Equal([16L, 16L], map.shape);
        Assert.Equal((KnownAnswerModel.PatchRow, KnownAnswerModel.PatchColumn), KnownAnswerModel.ArgMax(map));
        Assert.Equal(1f, map.max().item<float>(), 5);
        Assert.Equal(0f, map[8.., ..].max().item<float>(), 5);
    }

    [Fact]
    public void Compute_RestoresTrainingModeAndLeavesInputUntouched()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        var input = KnownAnswerModel.CreateInput();
        model.Module.train();

        using var mapResult = Saliency.Compute(model, input, classIndex: 1);
        var map = mapResult.Maps[0];

        Assert.True(model.Module.training);
        Assert.False(input.requires_grad);
        Assert.Null(input.grad);
    }
}
