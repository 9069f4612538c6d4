// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class GradCamPlusPlusTests
{
    [Fact]
    public void Compute_BrightPatchDetector_PeaksAtThePatch()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        using var camResult = GradCamPlusPlus.Compute(model, KnownAnswerModel.CreateInput(), classIndex: 1);
        var cam = camResult.Maps[0];

        Assert.Equal([16L, 16L], cam.shape);
        var (row, column) = KnownAnswerModel.ArgMax(cam);
        Assert.InRange(row, KnownAnswerModel.PatchRow - 1, KnownAnswerModel.PatchRow + 1);
        Assert.InRange(column, KnownAnswerModel.PatchColumn - 1, KnownAnswerModel.PatchColumn + 1);
        Assert.Equal(1f, cam.max().item<float>(), 5);
        Assert.Equal(0f, cam[12.., ..6].max().item<float>(), 5);
    }

    [Fact]
    public void Compute_Unnormalised_WeightIsTheClosedFormAlphaSum()
    {
        // The class-1 score is the sum of the 14×14 activations, so d score / d A = 1 everywhere: Grad-CAM's weight is
        // mean(g) = 1, and Grad-CAM++'s is Σ α = 196 · 1 / (2 + ΣA) with α = g² / (2g² + ΣA·g³).
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        var input = KnownAnswerModel.CreateInput();
        var raw = new GradCamOptions { Normalize = false };

        using var plusPlusResult = GradCamPlusPlus.Compute(model, input, 1, raw);
        var plusPlus = plusPlusResult.Maps[0];
        using var gradCamResult = GradCam.Compute(model, input, 1, raw);
        var gradCam = gradCamResult.Maps[0];

        var expectedRatio = 196 / (2 + KnownAnswerModel.ActivationSum);
        using var ratio = Scalars.Create((float)expectedRatio);
        Assert.True(gradCam.max().item<float>() > 0.1f);
        Assert.True(plusPlus.allclose(gradCam.mul(ratio), rtol: 1e-4, atol: 1e-5),
            $"max |++ − ratio·GradCAM| = {(plusPlus - gradCam.mul(ratio)).abs().max().item<float>()}");
    }

    [Fact]
    public void ComputeBatch_TwoImages_EachPeaksAtItsPatch_AndRestoresTraining()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        var input = cat([KnownAnswerModel.CreateInput(), KnownAnswerModel.CreateInput().flip(3)], 0);
        model.Module.train();

        using var camsResult = GradCamPlusPlus.Compute(model, input, 1);
        var cams = camsResult.Maps;

        Assert.True(model.Module.training);
        Assert.Equal([2L, 16L, 16L], cams.shape);
        Assert.Equal(KnownAnswerModel.PatchColumn, KnownAnswerModel.ArgMax(cams[0]).Column, 1.0);
        Assert.Equal(15 - KnownAnswerModel.PatchColumn, KnownAnswerModel.ArgMax(cams[1]).Column, 1.0);
        Assert.All(model.Module.parameters(), p => Assert.True(p.grad is null || p.grad.abs().max().item<float>() == 0));
    }

    [Fact]
    public void Compute_ClassAgainstThePatch_IsZeroNotNaN()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        using var camResult = GradCamPlusPlus.Compute(model, KnownAnswerModel.CreateInput(), 0);
        var cam = camResult.Maps[0];

        Assert.False(cam.isnan().any().item<bool>());
        Assert.Equal(0f, cam.abs().max().item<float>());
    }

    [Fact]
    public void Compute_FlatLayer_ThrowsNamingTheFeatureMapLayers()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        var ex = Assert.Throws<ArgumentException>(() => GradCamPlusPlus.Compute(model, KnownAnswerModel.CreateInput(), 1, new GradCamOptions { LayerName = "flatten" }));

        Assert.Contains("conv2d", ex.Message);
        Assert.Throws<ArgumentException>(() => new GradCamOptions { LayerName = " " });
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradCamOptions { Target = (AttributionTarget)5 });
    }
}
