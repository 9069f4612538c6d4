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
}
