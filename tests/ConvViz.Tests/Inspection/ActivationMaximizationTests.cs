// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class ActivationMaximizationTests
{
    [Fact]
    public void Run_BrightPatchDetector_IncreasesTheFiltersActivation()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        using var result = ActivationMaximization.Run(model, "conv2d", 0, new ActivationMaximizationOptions { Steps = 20, Seed = 3 });

        Assert.Equal(20, result.StepsRun);
        Assert.Equal([1L, 1L, 16L, 16L], result.Images.shape);
        Assert.True(result.FinalActivations[0] > result.InitialActivations[0] + 0.2,
            $"activation went from {result.InitialActivations[0]} to {result.FinalActivations[0]}");

        // The filter averages its window minus 0.5, so the best input is bright everywhere.
        Assert.True(result.Images.mean().item<float>() > 0.8f);
        Assert.InRange(result.Images.min().item<float>(), 0f, 1f);
        Assert.InRange(result.Images.max().item<float>(), 0f, 1f);
    }

    [Fact]
    public void RunLayer_SameSeedOnOneThread_IsBitIdentical_AndRestoresTraining()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var options = new ActivationMaximizationOptions { Steps = 3, Seed = 11 };
        model.Module.train();
        var threads = get_num_threads();
        set_num_threads(1);   // libtorch's parallel reductions are not bit-reproducible across runs
        try
        {
            using var a = ActivationMaximization.RunLayer(model, "conv2d", [1, 4], options);
            using var b = ActivationMaximization.RunLayer(model, "conv2d", [1, 4], options);
            using var other = ActivationMaximization.RunLayer(model, "conv2d", [1, 4], new ActivationMaximizationOptions { Steps = 3, Seed = 12 });

            Assert.True(model.Module.training);
            Assert.Equal([2L, 3L, 150L, 150L], a.Images.shape);
            Assert.True(a.Images.allclose(b.Images, rtol: 0, atol: 0), $"max diff {(a.Images - b.Images).abs().max().item<float>()}");
            Assert.False(a.Images.allclose(other.Images, rtol: 0, atol: 1e-3));
            Assert.Equal([1, 4], a.Filters);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void RunLayer_Cancelled_StopsEarly()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        using var result = ActivationMaximization.RunLayer(model, "conv2d", null, new ActivationMaximizationOptions { Steps = 50 }, cts.Token);

        Assert.Equal(0, result.StepsRun);
        Assert.Equal(result.InitialActivations, result.FinalActivations);
    }

    [Fact]
    public void Run_OutputLayerOfASigmoidUnit_MaximisesTheClassScore_ClassZeroIsTheNegatedLogit()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.CreateBinary();
        var options = new ActivationMaximizationOptions { Steps = 30, Seed = 2 };

        using var positive = ActivationMaximization.RunLayer(model, "dense", [1, 0], options);
        using var probability = ActivationMaximization.Run(model, "dense", 1, new ActivationMaximizationOptions { Steps = 30, Seed = 2, Target = AttributionTarget.Probability });

        // Class 1's logit is ΣA − 1: bright windows raise it. Class 0's is 1 − ΣA: dark windows raise it.
        Assert.Equal([1, 0], positive.Filters);
        Assert.True(positive.FinalActivations[0] > positive.InitialActivations[0] + 1, $"class 1: {positive.InitialActivations[0]} → {positive.FinalActivations[0]}");
        Assert.True(positive.FinalActivations[1] > positive.InitialActivations[1], $"class 0: {positive.InitialActivations[1]} → {positive.FinalActivations[1]}");
        Assert.True(positive.Images[0].mean().item<float>() > 0.8f);
        Assert.True(positive.Images[1].mean().item<float>() < 0.5f);

        using var predicted = model.Predict(probability.Images);
        Assert.Equal(predicted[0, 0].item<float>(), probability.FinalActivations[0], 4);
        Assert.InRange(probability.FinalActivations[0], 0.5, 1.0);
    }

    [Fact]
    public void RunLayer_OutputLayerClassOutOfRange_ThrowsNamingTheClasses()
    {
        using var model = KnownAnswerModel.CreateBinary();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ActivationMaximization.Run(model, "dense", 2));

        Assert.Contains("class 1", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ActivationMaximizationOptions { Target = (AttributionTarget)3 });
    }

    [Fact]
    public void Run_FilterOutOfRange_Throws()
    {
        using var model = KnownAnswerModel.Create();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ActivationMaximization.Run(model, "conv2d", 1));

        Assert.Contains("0..0", ex.Message);
    }

    [Fact]
    public void RunLayer_BlurAndJitter_RemoveHighFrequencies_AndStillRaiseTheActivation()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().WithSeed(1).Build(); // seeded: which filters are live on grey noise depends on the weights
        var plain = new ActivationMaximizationOptions { Steps = 24, Seed = 5 };
        var regularised = plain with { Jitter = 3, BlurSigma = 1.0, BlurEvery = 2 };

        using var a = ActivationMaximization.RunLayer(model, "conv2d_1", [0, 1, 2, 3], plain);
        using var b = ActivationMaximization.RunLayer(model, "conv2d_1", [0, 1, 2, 3], regularised);

        // Total variation (mean absolute difference of horizontal neighbours): plain ascent piles up pixel-level noise.
        static double Roughness(Tensor x) => x[.., .., .., 1..].sub(x[.., .., .., ..^1]).abs().mean().item<float>();
        var rough = Roughness(a.Images);
        var smooth = Roughness(b.Images);
        Assert.True(smooth < rough / 2, $"roughness {smooth} (regularised) vs {rough} (plain)");
        // A ReLU channel that is (nearly) off everywhere on grey noise has (almost) no gradient with untrained weights,
        // and the blur can switch it off; the clearly live ones must rise.
        var live = Enumerable.Range(0, 4).Where(f => b.InitialActivations[f] > 0.01).ToList();
        Assert.NotEmpty(live);
        Assert.All(live, f => Assert.True(b.FinalActivations[f] > b.InitialActivations[f], $"filter {f}: {b.InitialActivations[f]} -> {b.FinalActivations[f]}"));

        Assert.Equal(a.Images.shape, b.Images.shape);
        Assert.InRange(b.Images.min().item<float>(), 0f, 1f);
        Assert.InRange(b.Images.max().item<float>(), 0f, 1f);
    }

    [Fact]
    public void Run_Decay_PullsTheImageTowardTheMiddleOfTheRange()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        var plain = new ActivationMaximizationOptions { Steps = 20, Seed = 3 };

        using var a = ActivationMaximization.Run(model, "conv2d", 0, plain);
        using var b = ActivationMaximization.Run(model, "conv2d", 0, plain with { Decay = 0.2 });

        // Without decay the bright-patch detector drives the image to ~1; a 20 % pull toward 0.5 per step holds it lower.
        var free = a.Images.mean().item<float>();
        var held = b.Images.mean().item<float>();
        Assert.True(held < free - 0.1, $"mean {held} with decay vs {free} without");
        Assert.True(held > 0.5f, $"mean {held}: the ascent still brightens the image");
    }

    [Fact]
    public void Options_RegularisersOutOfRange_Throw_NamingTheOption()
    {
        Assert.Equal("Jitter", Assert.Throws<ArgumentOutOfRangeException>(() => new ActivationMaximizationOptions { Jitter = -1 }).ParamName);
        Assert.Equal("BlurSigma", Assert.Throws<ArgumentOutOfRangeException>(() => new ActivationMaximizationOptions { BlurSigma = -0.5 }).ParamName);
        Assert.Equal("BlurEvery", Assert.Throws<ArgumentOutOfRangeException>(() => new ActivationMaximizationOptions { BlurEvery = 0 }).ParamName);
        Assert.Equal("Decay", Assert.Throws<ArgumentOutOfRangeException>(() => new ActivationMaximizationOptions { Decay = 1.0 }).ParamName);
    }
}
