// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class IntegratedGradientsTests
{
    [Fact]
    public void Compute_BrightPatchDetector_MatchesTheHandComputedIntegral()
    {
        // Along the path α·x the centre window fires for α > 1/2 and its four edge neighbours for α > 3/4, each adding
        // 1/9 per covered pixel: the centre pixel gets 1/18 + 4/36 = 1/6, the total is ΣA = 7/6, the background 0.
        // An odd step count keeps the kinks off the grid points (where ReLU's one-sided gradient 0 would be used).
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        using var result = IntegratedGradients.Compute(model, KnownAnswerModel.CreateInput(), 1, new IntegratedGradientsOptions { Steps = 255 });

        Assert.Equal([1L, 1L, 16L, 16L], result.Attributions.shape);
        Assert.Equal([1L, 16L, 16L], result.Maps.shape);
        Assert.Equal(KnownAnswerModel.ActivationSum, result.InputScores[0], 5);
        Assert.Equal(0, result.BaselineScores[0], 6);
        Assert.InRange(result.Attributions[0, 0, KnownAnswerModel.PatchRow, KnownAnswerModel.PatchColumn].item<float>(), (1.0 / 6) - 0.002, (1.0 / 6) + 0.002);
        Assert.Equal((KnownAnswerModel.PatchRow, KnownAnswerModel.PatchColumn), KnownAnswerModel.ArgMax(result.Maps[0]));
        Assert.Equal(0f, result.Attributions[0, 0, 8.., ..].abs().max().item<float>());

        // Completeness: Σ attributions = S(x) − S(baseline) up to the trapezoid error at the kink α = 3/4, where the
        // integrand jumps by 4·6/9 a quarter of an interval before the grid point: −¼ · (1/255) · 8/3 ≈ −0.0026.
        Assert.Equal(-0.25 / 255 * 8 / 3, result.CompletenessErrors[0], 4);
        Assert.InRange(Math.Abs(result.CompletenessErrors[0]), 0, 0.005 * KnownAnswerModel.ActivationSum);
    }

    [Fact]
    public void Compute_RandomNetwork_AttributionsSumToTheScoreDifference()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(12, 12, 3)
            .AddConv2D(6, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(8, 3, Activation.ReLU)
            .AddFlatten()
            .AddDense(16, Activation.ReLU)
            .AddDense(3, Activation.Softmax)
            .WithSeed(7)
            .Build();
        using var generator = new Generator(3);
        var input = rand([2, 3, 12, 12], generator: generator);
        using var grey = Scalars.Create(0.5f);
        var baseline = full(3, 12, 12, grey);

        using var result = IntegratedGradients.Compute(model, input, 2, new IntegratedGradientsOptions { Steps = 400, Baseline = baseline, BatchSize = 67 });

        for (var i = 0; i < 2; i++)
        {
            var difference = result.InputScores[i] - result.BaselineScores[i];
            Assert.True(Math.Abs(difference) > 0.01, $"image {i}: the score difference {difference} is too small to test completeness");
            Assert.True(Math.Abs(result.CompletenessErrors[i]) < 0.01 * Math.Abs(difference),
                $"image {i}: Σ attributions {result.AttributionSums[i]} vs score difference {difference}");
        }
    }

    [Fact]
    public void Compute_SigmoidProbability_AttributionsSumToTheProbabilityDifference()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.CreateBinary();
        var input = KnownAnswerModel.CreateInput();

        using var result = IntegratedGradients.Compute(model, input, 1, new IntegratedGradientsOptions { Steps = 255, Target = AttributionTarget.Probability });

        using var predicted = model.Predict(input);
        Assert.Equal(predicted[0, 0].item<float>(), result.InputScores[0], 5);
        Assert.Equal(1 / (1 + Math.E), result.BaselineScores[0], 5);   // σ(−1) on the black baseline
        var difference = result.InputScores[0] - result.BaselineScores[0];
        Assert.True(Math.Abs(result.CompletenessErrors[0]) < 0.01 * difference, $"Σ attributions {result.AttributionSums[0]} vs {difference}");
    }

    [Fact]
    public void Compute_BaselineEqualToTheInput_GivesZeroAttributions()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        var input = KnownAnswerModel.CreateInput();

        using var result = IntegratedGradients.Compute(model, input, 1, new IntegratedGradientsOptions { Baseline = input, Steps = 4 });

        Assert.Equal(0f, result.Attributions.abs().max().item<float>());
        Assert.Equal(0f, result.Maps.abs().max().item<float>());
        Assert.Equal(result.InputScores[0], result.BaselineScores[0]);
    }

    [Fact]
    public void Compute_BinaryModel_NegativeClassIsTheNegatedAttribution()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.CreateBinary();
        var input = KnownAnswerModel.CreateInput();
        var options = new IntegratedGradientsOptions { Steps = 32 };

        using var positive = IntegratedGradients.Compute(model, input, 1, options);
        using var negative = IntegratedGradients.Compute(model, input, 0, options);

        Assert.True(negative.Attributions.allclose(positive.Attributions.neg(), rtol: 1e-5, atol: 1e-7));
        Assert.Equal(KnownAnswerModel.ActivationSum - 1, positive.InputScores[0], 5);
        Assert.Equal(1 - KnownAnswerModel.ActivationSum, negative.InputScores[0], 5);
    }

    [Fact]
    public void Compute_BaselineOfTheWrongShape_ThrowsNamingTheExpectedShapes()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();

        var ex = Assert.Throws<ArgumentException>(() =>
            IntegratedGradients.Compute(model, KnownAnswerModel.CreateInput(), 1, new IntegratedGradientsOptions { Baseline = zeros(1, 3, 16, 16) }).Dispose());

        Assert.Contains("Baseline", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[1, 16, 16]", ex.Message, StringComparison.Ordinal);
        Assert.Equal("Steps", Assert.Throws<ArgumentOutOfRangeException>(() => new IntegratedGradientsOptions { Steps = 0 }).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => IntegratedGradients.Compute(model, KnownAnswerModel.CreateInput(), 2).Dispose());
    }

    [Fact]
    public void Compute_RestoresTrainingAndDisposedResultRefusesAccess()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.Create();
        model.Module.train();

        var result = IntegratedGradients.Compute(model, KnownAnswerModel.CreateInput().squeeze(0), 1, new IntegratedGradientsOptions { Steps = 2 });
        result.Dispose();

        Assert.True(model.Module.training);
        Assert.Throws<ObjectDisposedException>(() => result.Attributions);
        Assert.All(model.Module.parameters(), p => Assert.True(p.grad is null || p.grad.abs().max().item<float>() == 0));
    }
}
