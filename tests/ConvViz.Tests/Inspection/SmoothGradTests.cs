// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class SmoothGradTests
{
    [Fact]
    public void Compute_BrightPatchDetector_PeaksAtThePatchCentre()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        using var mapResult = SmoothGrad.Compute(model, KnownAnswerModel.CreateInput(), 1, new SmoothGradOptions { SampleCount = 32, Seed = 1 });
        var map = mapResult.Maps[0];

        Assert.Equal([16L, 16L], map.shape);
        var (row, column) = KnownAnswerModel.ArgMax(map);
        Assert.InRange(row, KnownAnswerModel.PatchRow - 1, KnownAnswerModel.PatchRow + 1);
        Assert.InRange(column, KnownAnswerModel.PatchColumn - 1, KnownAnswerModel.PatchColumn + 1);
        Assert.Equal(1f, map.max().item<float>(), 5);

        // Noise of σ = 0.15 never lifts a dark window's mean to 0.5, so pixels far from the patch get no gradient.
        Assert.Equal(0f, map[9.., ..].max().item<float>());
    }

    [Fact]
    public void Compute_SameSeed_SameMap_OtherSeedOrNoise_Differs()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        var input = KnownAnswerModel.CreateInput();
        var options = new SmoothGradOptions { SampleCount = 10, Seed = 4, BatchSize = 3 };

        using var aResult = SmoothGrad.Compute(model, input, 1, options);
        var a = aResult.Maps[0];
        using var bResult = SmoothGrad.Compute(model, input, 1, options);
        var b = bResult.Maps[0];
        using var otherSeedResult = SmoothGrad.Compute(model, input, 1, options with { Seed = 5 });
        var otherSeed = otherSeedResult.Maps[0];
        using var vanillaResult = Saliency.Compute(model, input, 1);
        var vanilla = vanillaResult.Maps[0];

        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        Assert.False(a.allclose(otherSeed, rtol: 0, atol: 1e-4));
        Assert.False(a.allclose(vanilla, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void ComputeBatch_RestoresTrainingAndLeavesInputUntouched()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        var input = cat([KnownAnswerModel.CreateInput(), KnownAnswerModel.CreateInput().flip(3)], 0);
        var copy = input.clone();
        model.Module.train();

        using var mapsResult = SmoothGrad.Compute(model, input, 1, new SmoothGradOptions { SampleCount = 8 });
        var maps = mapsResult.Maps;

        Assert.True(model.Module.training);
        Assert.Equal([2L, 16L, 16L], maps.shape);
        Assert.True(input.allclose(copy, rtol: 0, atol: 0));
        Assert.Null(input.grad);
        Assert.Equal(15 - KnownAnswerModel.PatchColumn, KnownAnswerModel.ArgMax(maps[1]).Column, 1.0);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Options_BadNoiseLevel_ThrowsNamingIt(double level)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothGradOptions { NoiseLevel = level });
        Assert.Equal("NoiseLevel", ex.ParamName);
    }

    [Fact]
    public void Options_NonPositiveCounts_Throw()
    {
        Assert.Equal("SampleCount", Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothGradOptions { SampleCount = 0 }).ParamName);
        Assert.Equal("BatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothGradOptions { BatchSize = -1 }).ParamName);
    }

    [Fact]
    public void Compute_Cancelled_Throws()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.Throws<OperationCanceledException>(() => SmoothGrad.Compute(model, KnownAnswerModel.CreateInput(), 1, null, cts.Token));
    }
}
