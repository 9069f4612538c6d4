// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class AttributionTargetTests
{
    [Fact]
    public void GradCam_SaturatedSoftmax_ProbabilityMapVanishes_ScoreMapFindsThePatch()
    {
        using var scope = NewDisposeScope();
        using var model = TrainPatchDetector(out var input);
        using var probabilities = model.Predict(input);
        var p = probabilities[0, 1].item<float>();
        Assert.True(p > 0.9995f, $"the softmax is not saturated: p = {p}");

        var raw = new GradCamOptions { Normalize = false };
        using var scoreMapResult = GradCam.Compute(model, input, 1, raw);
        var scoreMap = scoreMapResult.Maps[0];
        using var probabilityMapResult = GradCam.Compute(model, input, 1, raw with { Target = AttributionTarget.Probability });
        var probabilityMap = probabilityMapResult.Maps[0];
        using var normalisedResult = GradCam.Compute(model, input, 1);
        var normalised = normalisedResult.Maps[0];

        var scoreMax = scoreMap.max().item<float>();
        var probabilityMax = probabilityMap.max().item<float>();
        // d p / d z carries the factor p·(1 − p) < 5e-4: the probability's map is three orders of magnitude weaker.
        Assert.True(scoreMax > 1e-3f, $"score map maximum {scoreMax}");
        Assert.True(probabilityMax < 2e-3f * scoreMax, $"probability map maximum {probabilityMax} against the score map's {scoreMax}");
        var (row, column) = KnownAnswerModel.ArgMax(normalised);
        Assert.InRange(row, KnownAnswerModel.PatchRow - 1, KnownAnswerModel.PatchRow + 1);
        Assert.InRange(column, KnownAnswerModel.PatchColumn - 1, KnownAnswerModel.PatchColumn + 1);
    }

    [Fact]
    public void GradCam_SigmoidUnit_ProbabilityMapIsTheScoreMapTimesTheSigmoidSlope()
    {
        // The binary detector's logit is ΣA − 1 = 1/6, so d p / d logit = p·(1 − p) with p = σ(1/6).
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.CreateBinary();
        var input = KnownAnswerModel.CreateInput();
        var raw = new GradCamOptions { Normalize = false };

        using var scoreResult = GradCam.Compute(model, input, 1, raw);
        var score = scoreResult.Maps[0];
        using var probabilityResult = GradCam.Compute(model, input, 1, raw with { Target = AttributionTarget.Probability });
        var probability = probabilityResult.Maps[0];

        var p = 1 / (1 + Math.Exp(-(KnownAnswerModel.ActivationSum - 1)));
        using var sigmoidSlope = Scalars.Create((float)(p * (1 - p)));
        Assert.True(probability.allclose(score.mul(sigmoidSlope), rtol: 1e-4, atol: 1e-7));
        Assert.True(score.max().item<float>() > 0.1f);
    }

    [Fact]
    public void SigmoidUnit_ClassZeroIsTheNegatedLogit()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.CreateBinary();
        var input = KnownAnswerModel.CreateInput();

        using var positiveResult = GradCam.Compute(model, input, 1);
        var positive = positiveResult.Maps[0];
        using var negativeResult = GradCam.Compute(model, input, 0);
        var negative = negativeResult.Maps[0];
        using var positiveSaliencyResult = Saliency.Compute(model, input, 1);
        var positiveSaliency = positiveSaliencyResult.Maps[0];
        using var negativeSaliencyResult = Saliency.Compute(model, input, 0, new SaliencyOptions { Target = AttributionTarget.Probability });
        var negativeSaliency = negativeSaliencyResult.Maps[0];

        // The patch is evidence for class 1 and against class 0: Grad-CAM's ReLU keeps only evidence for the class.
        var (row, column) = KnownAnswerModel.ArgMax(positive);
        Assert.InRange(row, KnownAnswerModel.PatchRow - 1, KnownAnswerModel.PatchRow + 1);
        Assert.InRange(column, KnownAnswerModel.PatchColumn - 1, KnownAnswerModel.PatchColumn + 1);
        Assert.Equal(0f, negative.abs().max().item<float>());
        Assert.True(negativeSaliency.allclose(positiveSaliency, rtol: 1e-4, atol: 1e-6));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => GradCam.Compute(model, input, 2).Dispose());
        Assert.Contains("one output unit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Saliency_BadTarget_Throws()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Saliency.Compute(model, KnownAnswerModel.CreateInput(), 1, new SaliencyOptions { Target = (AttributionTarget)9 }).Dispose());

        Assert.Contains("AttributionTarget.Score", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Trains (seeded, about a second) conv(4, 3×3, ReLU) → global max pooling → dense(2) → softmax to tell 16×16 noise
    /// with a bright 3×3 patch anywhere from noise alone, until the softmax saturates; returns a test image with the
    /// patch at (<see cref="KnownAnswerModel.PatchRow"/>, <see cref="KnownAnswerModel.PatchColumn"/>).
    /// </summary>
    private static Model TrainPatchDetector(out Tensor input)
    {
        const int n = 64;
        using var generator = new Generator(11);
        using var backgroundBrightness = Scalars.Create(0.3f);
        var images = rand([n, 1, 16, 16], generator: generator).mul(backgroundBrightness);
        var labels = zeros(n, 2);
        var positions = randint(1, 15, [n, 2], generator: generator);
        for (var i = 0; i < n; i++)
        {
            var positive = i % 2 == 0;
            labels[i, positive ? 1 : 0] = 1f;
            if (positive)
            {
                var r = (int)positions[i, 0].item<long>();
                var c = (int)positions[i, 1].item<long>();
                images[i, 0, (r - 1)..(r + 2), (c - 1)..(c + 2)] = 1f;
            }
        }

        var model = new SequentialBuilder(16, 16, 1)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddGlobalMaxPooling2D()
            .AddDense(2)
            .AddActivation(Activation.Softmax)
            .WithSeed(5)
            .Build();
        model.Compile(Loss.CategoricalCrossentropy, OptimizerOptions.RmsProp(0.1), Metric.Accuracy);
        using var data = new InMemoryDataset(images, labels, 8, shuffle: true, seed: 2);
        model.Fit(data, new FitOptions { Epochs = 8, Seed = 1 });

        input = rand([1, 1, 16, 16], generator: generator).mul(backgroundBrightness);
        input[.., .., (KnownAnswerModel.PatchRow - 1)..(KnownAnswerModel.PatchRow + 2), (KnownAnswerModel.PatchColumn - 1)..(KnownAnswerModel.PatchColumn + 2)] = 1f;
        return model;
    }
}
