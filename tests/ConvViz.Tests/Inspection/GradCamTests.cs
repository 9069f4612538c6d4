// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class GradCamTests
{
    [Fact]
    public void Compute_BrightPatchDetector_PeaksAtThePatch()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        var input = KnownAnswerModel.CreateInput();

        using var camResult = GradCam.Compute(model, input, classIndex: 1);
        var cam = camResult.Maps[0];

        Assert.Equal([16L, 16L], cam.shape);
        var (row, column) = KnownAnswerModel.ArgMax(cam);
        Assert.InRange(row, KnownAnswerModel.PatchRow - 1, KnownAnswerModel.PatchRow + 1);
        Assert.InRange(column, KnownAnswerModel.PatchColumn - 1, KnownAnswerModel.PatchColumn + 1);
        Assert.Equal(1f, cam.max().item<float>(), 5);
        Assert.Equal(0f, cam.min().item<float>(), 5);
        Assert.Equal(0f, cam[12.., ..6].max().item<float>(), 5);
    }

    [Fact]
    public void Compute_ClassAgainstThePatch_IsZeroNotNaN()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        using var camResult = GradCam.Compute(model, KnownAnswerModel.CreateInput(), classIndex: 0);
        var cam = camResult.Maps[0];

        Assert.False(cam.isnan().any().item<bool>());
        Assert.Equal(0f, cam.abs().max().item<float>());
    }

    [Fact]
    public void ComputeBatch_TwoImages_NormalisesEachAndRestoresTraining()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        var input = cat([KnownAnswerModel.CreateInput(), KnownAnswerModel.CreateInput().flip(3)], 0);
        model.Module.train();

        using var camsResult = GradCam.Compute(model, input, classIndex: 1, new GradCamOptions { LayerName = "conv2d" });
        var cams = camsResult.Maps;

        Assert.True(model.Module.training);
        Assert.Equal([2L, 16L, 16L], cams.shape);
        Assert.Equal(KnownAnswerModel.PatchColumn, KnownAnswerModel.ArgMax(cams[0]).Column, 1.0);
        Assert.InRange(KnownAnswerModel.ArgMax(cams[1]).Column, 15 - KnownAnswerModel.PatchColumn - 1, 15 - KnownAnswerModel.PatchColumn + 1);
        Assert.All(model.Module.parameters(), p => Assert.True(p.grad is null || p.grad.abs().max().item<float>() == 0));
    }

    [Fact]
    public void Compute_FlatLayer_ThrowsNamingTheFeatureMapLayers()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        var ex = Assert.Throws<ArgumentException>(() => GradCam.Compute(model, KnownAnswerModel.CreateInput(), 1, new GradCamOptions { LayerName = "flatten" }));

        Assert.Contains("conv2d", ex.Message);
    }

    [Fact]
    public void Compute_ClassOutOfRange_Throws()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        Assert.Throws<ArgumentOutOfRangeException>(() => GradCam.Compute(model, KnownAnswerModel.CreateInput(), 2));
    }
}
