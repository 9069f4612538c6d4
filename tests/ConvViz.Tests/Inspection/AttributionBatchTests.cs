// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

/// <summary>
/// The shared shape of the five attribution methods: <c>ComputeBatch</c> with one class per image (tf-keras-vis'
/// <c>CategoricalScore([1, 294, 413])</c>) gives each image the map it gets alone for its class, and every result says
/// which class each map explains.
/// </summary>
public sealed class AttributionBatchTests
{
    private static readonly int[] s_classes = [2, 0, 1];

    public static TheoryData<string> Methods() => ["GradCam", "GradCamPlusPlus", "Saliency", "IntegratedGradients"];

    private static AttributionResult Single(string method, Model model, Tensor input, int classIndex) => method switch
    {
        "GradCam" => GradCam.Compute(model, input, classIndex, new GradCamOptions { Normalize = false }),
        "GradCamPlusPlus" => GradCamPlusPlus.Compute(model, input, classIndex, new GradCamOptions { Normalize = false }),
        "Saliency" => Saliency.Compute(model, input, classIndex, new SaliencyOptions { Normalize = false }),
        _ => IntegratedGradients.Compute(model, input, classIndex, new IntegratedGradientsOptions { Steps = 8, BatchSize = 5, Normalize = false }),
    };

    private static AttributionResult Batch(string method, Model model, Tensor input, IReadOnlyList<int> classes) => method switch
    {
        "GradCam" => GradCam.ComputeBatch(model, input, classes, new GradCamOptions { Normalize = false }),
        "GradCamPlusPlus" => GradCamPlusPlus.ComputeBatch(model, input, classes, new GradCamOptions { Normalize = false }),
        "Saliency" => Saliency.ComputeBatch(model, input, classes, new SaliencyOptions { Normalize = false }),
        _ => IntegratedGradients.ComputeBatch(model, input, classes, new IntegratedGradientsOptions { Steps = 8, BatchSize = 5, Normalize = false }),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void ComputeBatch_OneClassPerImage_EqualsEachImageComputedAloneForItsClass(string method)
    {
        using var scope = NewDisposeScope();
        using var model = CreateModel();
        var input = CreateInput();

        using var batch = Batch(method, model, input, s_classes);

        Assert.Equal(s_classes, batch.ClassIndices);
        Assert.Equal(3, batch.Count);
        Assert.Equal(AttributionTarget.Score, batch.Target);
        Assert.Equal([3L, 12L, 12L], batch.Maps.shape);
        for (var i = 0; i < s_classes.Length; i++)
        {
            using var alone = Single(method, model, input[i..(i + 1)], s_classes[i]);
            Assert.Equal([s_classes[i]], alone.ClassIndices);
            var expected = alone.Maps[0];
            Assert.True(expected.abs().max().item<float>() > 0, $"{method}: image {i}'s map is all zero, so the comparison would not discriminate");
            var actual = batch.Maps[i];
            Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-6), $"{method}, image {i}: max difference {(actual - expected).abs().max().item<float>()}");

            // The class matters: the same image explained for another class gives another map.
            using var other = Single(method, model, input[i..(i + 1)], (s_classes[i] + 1) % 3);
            Assert.False(actual.allclose(other.Maps[0], rtol: 1e-3, atol: 1e-5), $"{method}, image {i}: the map does not depend on the class");
        }
    }

    [Fact]
    public void IntegratedGradients_ComputeBatch_ScoresAndCompletenessPerImageClass()
    {
        using var scope = NewDisposeScope();
        using var model = CreateModel();
        var input = CreateInput();
        var options = new IntegratedGradientsOptions { Steps = 16 };

        using var batch = IntegratedGradients.ComputeBatch(model, input, s_classes, options);

        for (var i = 0; i < s_classes.Length; i++)
        {
            using var alone = IntegratedGradients.Compute(model, input[i..(i + 1)], s_classes[i], options);
            Assert.Equal(alone.InputScores[0], batch.InputScores[i], 5);
            Assert.Equal(alone.BaselineScores[0], batch.BaselineScores[i], 5);
            Assert.Equal(alone.CompletenessErrors[0], batch.CompletenessErrors[i], 5);
            Assert.True(batch.Attributions[i].allclose(alone.Attributions[0], rtol: 1e-4, atol: 1e-6));
        }
    }

    [Fact]
    public void SmoothGrad_ComputeBatch_EqualsTheSameBatchExplainedForEachImagesClass()
    {
        // The noise is drawn per batch position, not per class: image i's map is image i's map of the single-class call
        // on the same batch with the same seed.
        using var scope = NewDisposeScope();
        using var model = CreateModel();
        var input = CreateInput();
        var options = new SmoothGradOptions { SampleCount = 6, BatchSize = 4, Seed = 3, Normalize = false };

        using var batch = SmoothGrad.ComputeBatch(model, input, s_classes, options);

        Assert.Equal(s_classes, batch.ClassIndices);
        for (var i = 0; i < s_classes.Length; i++)
        {
            using var sameClass = SmoothGrad.Compute(model, input, s_classes[i], options);
            Assert.True(batch.Maps[i].allclose(sameClass.Maps[i], rtol: 1e-4, atol: 1e-6), $"image {i}");
        }
    }

    [Fact]
    public void ComputeBatch_SigmoidUnit_MixesThePositiveAndTheNegatedClass()
    {
        using var scope = NewDisposeScope();
        using var model = KnownAnswerModel.CreateBinary();
        var input = cat([KnownAnswerModel.CreateInput(), KnownAnswerModel.CreateInput()], 0);

        foreach (var target in new[] { AttributionTarget.Score, AttributionTarget.Probability })
        {
            var options = new SaliencyOptions { Target = target, Normalize = false };
            using var batch = Saliency.ComputeBatch(model, input, [1, 0], options);
            using var positive = Saliency.Compute(model, input[..1], 1, options);
            using var negative = Saliency.Compute(model, input[..1], 0, options);

            Assert.True(positive.Maps.abs().max().item<float>() > 0);
            Assert.True(batch.Maps[0].allclose(positive.Maps[0], rtol: 1e-5, atol: 1e-7), $"{target}: class 1");
            Assert.True(batch.Maps[1].allclose(negative.Maps[0], rtol: 1e-5, atol: 1e-7), $"{target}: class 0");
        }
    }

    [Fact]
    public void Normalize_Off_KeepsTheScale_On_DividesEachMapByItsMaximum()
    {
        using var scope = NewDisposeScope();
        using var model = CreateModel();
        var input = CreateInput();

        using var raw = Saliency.ComputeBatch(model, input, s_classes, new SaliencyOptions { Normalize = false });
        using var normalised = Saliency.ComputeBatch(model, input, s_classes);

        var maxima = raw.Maps.amax([1, 2], keepdim: true);
        Assert.True(maxima.min().item<float>() > 0);
        Assert.True(maxima.max().item<float>() != 1f);
        Assert.True(normalised.Maps.allclose(raw.Maps.div(maxima), rtol: 1e-5, atol: 1e-7));
        Assert.Equal(1f, normalised.Maps.amax([1, 2]).min().item<float>(), 6);
    }

    [Fact]
    public void ComputeBatch_WrongNumberOfClassesOrABadClass_ThrowsNamingTheArgument()
    {
        using var scope = NewDisposeScope();
        using var model = CreateModel();
        var input = CreateInput();

        var count = Assert.Throws<ArgumentException>(() => GradCam.ComputeBatch(model, input, [1, 2]).Dispose());
        Assert.Equal("classIndices", count.ParamName);
        Assert.Contains("2 class(es) for a batch of 3", count.Message, StringComparison.Ordinal);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Saliency.ComputeBatch(model, input, [0, 3, 1]).Dispose());
        Assert.Equal("classIndices", range.ParamName);
        Assert.Throws<ArgumentException>(() => IntegratedGradients.ComputeBatch(model, input, [0]).Dispose());
        Assert.Throws<ArgumentException>(() => SmoothGrad.ComputeBatch(model, input, [0, 1, 2, 0]).Dispose());
    }

    [Fact]
    public void DisposedResult_RefusesItsMaps()
    {
        using var scope = NewDisposeScope();
        using var model = CreateModel();

        var result = GradCamPlusPlus.Compute(model, CreateInput()[0], 1);
        Assert.Equal([1L, 12L, 12L], result.Maps.shape);
        result.Dispose();
        result.Dispose();

        Assert.Throws<ObjectDisposedException>(() => result.Maps);
        Assert.Equal([1], result.ClassIndices);
    }

    private static Model CreateModel() => new SequentialBuilder(12, 12, 3)
        .AddConv2D(6, 3, Activation.ReLU)
        .AddMaxPooling2D(2)
        .AddConv2D(8, 3, Activation.ReLU)
        .AddFlatten()
        .AddDense(16, Activation.ReLU)
        .AddDense(3, Activation.Softmax)
        .WithSeed(7)
        .Build();

    private static Tensor CreateInput()
    {
        using var generator = new Generator(5);
        return rand([3, 3, 12, 12], generator: generator);
    }
}
