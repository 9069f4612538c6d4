// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;
using ConvViz.Data;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// The same input and seed give the same picture: every activation path and attribution method returns bit-identical
/// results on 20 repeated calls, with one and with two libtorch threads, while another thread forces garbage
/// collections and finalizers without pause. A collectable TorchSharp scalar read after it was freed (issue 23) makes
/// these calls throw or differ; the reference result is computed before the pressure starts.
/// </summary>
public sealed class DeterminismTests
{
    private const int Repeats = 20;

    public static TheoryData<string, int> Methods()
    {
        var data = new TheoryData<string, int>();
        foreach (var method in Calls.Keys)
        {
            data.Add(method, 1);
            data.Add(method, 2);
        }

        return data;
    }

    /// <summary>Each call returns one tensor the caller owns.</summary>
    private static readonly Dictionary<string, Func<Model, Tensor, Tensor>> Calls = new()
    {
        ["Predict"] = (m, x) => m.Predict(x),
        ["IntermediateModel"] = (m, x) => IntermediateModel.From(m, 2).Predict(x),
        ["GradCam"] = (m, x) => Maps(GradCam.Compute(m, x, 1)),
        ["GradCamPlusPlus"] = (m, x) => Maps(GradCamPlusPlus.Compute(m, x, 1)),
        ["Saliency"] = (m, x) => Maps(Saliency.Compute(m, x, 1)),
        ["SmoothGrad"] = (m, x) => Maps(SmoothGrad.Compute(m, x, 1, new SmoothGradOptions { SampleCount = 12, BatchSize = 5, Seed = 4 })),
        ["IntegratedGradients"] = (m, x) =>
        {
            using var result = IntegratedGradients.Compute(m, x, 1, new IntegratedGradientsOptions { Steps = 16, BatchSize = 6 });
            return cat([result.Attributions.flatten(), result.Maps.flatten()], 0);
        },
        ["ActivationMaximization"] = (m, x) =>
        {
            var options = new ActivationMaximizationOptions { Steps = 12, Seed = 9, Jitter = 1, BlurSigma = 0.5, BlurEvery = 4, Decay = 0.01 };
            using var result = ActivationMaximization.RunLayer(m, m.Layers[2].Name, [0, 3], options);
            return result.Images.clone();
        },
    };

    /// <summary>The maps of an attribution result as a tensor the caller owns (a new handle on the same storage); disposes the result.</summary>
    private static Tensor Maps(AttributionResult result)
    {
        using (result)
        {
            return result.Maps.alias();
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void SameInputAndSeed_TwentyCalls_BitIdentical_UnderForcedGarbageCollection(string method, int threads)
    {
        var call = Calls[method];
        var previousThreads = get_num_threads();
        set_num_threads(threads);
        try
        {
            using var model = CreateModel();
            using var input = CreateInput();
            using var expected = call(model, input);
            var reference = Bits(expected);
            Assert.Contains(reference, b => b != 0);

            using var pressure = GcPressure.Start();
            pressure.WaitForCollections(1);
            for (var i = 0; i < Repeats; i++)
            {
                using var scope = NewDisposeScope();
                using var actual = call(model, input);
                Assert.Equal(expected.shape, actual.shape);
                var bits = Bits(actual);
                var first = Enumerable.Range(0, bits.Length).FirstOrDefault(k => bits[k] != reference[k], -1);
                Assert.True(first < 0, $"{method} with {threads} thread(s): call {i + 1} of {Repeats} differs from the first at element {first}.");
            }

            Assert.True(pressure.Collections > 0);
        }
        finally
        {
            set_num_threads(previousThreads);
        }
    }

    [Fact]
    public void LoadedLibtorch_HasNnpackSwitchedOff_SoTheConvolutionPathDoesNotDependOnTheCpu()
    {
        using var model = CreateModel();

        Assert.True(NativeBackend.IsLoaded);
        Assert.False(ConvolutionPath.IsNnpackEnabled);
    }

    [Fact]
    public void Fit_WithSeed_TwoRunsInOneProcess_GiveIdenticalWeights()
    {
        var first = TrainTwoEpochs();
        var second = TrainTwoEpochs();

        Assert.Equal(first.Length, second.Length);
        Assert.True(first.AsSpan().SequenceEqual(second), "Two seeded Fit runs gave different weights.");
    }

    [Fact]
    public void Fit_WithSeed_UnderForcedGarbageCollection_GivesTheSameWeights()
    {
        var expected = TrainTwoEpochs();
        using var pressure = GcPressure.Start();
        pressure.WaitForCollections(1);

        var actual = TrainTwoEpochs();

        Assert.True(expected.AsSpan().SequenceEqual(actual), "A seeded Fit gave other weights while garbage collections were forced.");
    }

    private static int[] TrainTwoEpochs()
    {
        using var scope = NewDisposeScope();
        using var model = CreateModel().Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adamax(0.01), Metric.Accuracy);
        var generator = new Generator(21);
        var images = rand([48, 3, 12, 12], generator: generator);
        var labels = images[.., 0].mean([1, 2]).gt(images[.., 2].mean([1, 2])).to_type(ScalarType.Int64);
        using var data = new InMemoryDataset(images, nn.functional.one_hot(labels, 2).to_type(ScalarType.Float32), batchSize: 8, shuffle: true, seed: 5);
        model.Fit(data, new FitOptions { Epochs = 2, Seed = 13, Verbosity = TrainingVerbosity.Silent });
        var weights = model.Module.parameters().Select(p => p.detach().cpu().flatten()).ToList();
        return Bits(cat(weights, 0));
    }

    /// <summary>A seeded 12×12×3 network with every layer kind the inspection paths walk through, including Dropout and BatchNormalization.</summary>
    private static Model CreateModel() =>
        new SequentialBuilder(12, 12, 3)
            .WithSeed(17)
            .AddConv2D(6, 3, Activation.ReLU)
            .AddBatchNormalization()
            .AddConv2D(8, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddFlatten()
            .AddDense(16, Activation.ReLU)
            .AddDropout(0.25)
            .AddDense(2, Activation.Softmax)
            .Build();

    private static Tensor CreateInput()
    {
        using var scope = NewDisposeScope();
        return rand([3, 3, 12, 12], generator: new Generator(3)).MoveToOuterDisposeScope();
    }

    private static int[] Bits(Tensor t)
    {
        using var values = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return MemoryMarshal.Cast<float, int>(values.data<float>().ToArray()).ToArray();
    }
}
