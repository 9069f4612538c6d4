// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

public sealed class ModelPredictTests
{
    private static Model SmallModel(int units = 3, Activation activation = Activation.Softmax) =>
        new SequentialBuilder(8, 8, 3).WithSeed(7)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddMaxPooling2D()
            .AddFlatten()
            .AddDense(16, Activation.ReLU)
            .AddDropout(0.5)
            .AddDense(units, activation)
            .Build();

    [Fact]
    public void Predict_InBatches_EqualsOneEvalForwardPass()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        var images = rand(new long[] { 10, 3, 8, 8 }, generator: new Generator(1));

        using var predicted = model.Predict(images, batchSize: 3);
        var expected = model.Forward(images);

        Assert.Equal(new long[] { 10, 3 }, predicted.shape);
        Assert.True(predicted.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.True(predicted.sum(1).allclose(ones(10), atol: 1e-5));
    }

    [Fact]
    public void Predict_ModelInTrainingMode_RunsInEvalAndRestoresTrainingMode()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        var images = rand(new long[] { 4, 3, 8, 8 }, generator: new Generator(2));
        var expected = model.Forward(images);
        model.Module.train();

        using var first = model.Predict(images);
        using var second = model.Predict(images);

        Assert.True(model.Module.training);
        Assert.True(first.eq(second).all().item<bool>(), "dropout must be off");
        Assert.True(first.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.False(first.requires_grad);
    }

    [Fact]
    public void Predict_LeavesNoTensorsBehind()
    {
        using var model = SmallModel();
        using var images = rand(new long[] { 5, 3, 8, 8 }, generator: new Generator(3));
        model.Predict(images, 2).Dispose();
        DisposeScopeManager.Statistics.Reset();

        model.Predict(images, 2).Dispose();

        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Predict_BatchSource_MatchesTensorPrediction()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        var images = rand(new long[] { 7, 3, 8, 8 }, generator: new Generator(4));
        using var dataset = new InMemoryDataset(images, null, batchSize: 3, ClassMode.None);

        using var fromSource = model.Predict(dataset);
        using var fromTensor = model.Predict(images);

        Assert.True(fromSource.allclose(fromTensor, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Predict_Cancelled_Throws()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        using var dataset = new InMemoryDataset(rand(4, 3, 8, 8), null, batchSize: 2, ClassMode.None);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => model.Predict(dataset, cts.Token));
    }

    [Fact]
    public void PredictClasses_Softmax_ReturnsArgmaxAndNames()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        model.ClassNames = ["cat", "dog", "bird"];
        var images = rand(new long[] { 6, 3, 8, 8 }, generator: new Generator(5));
        var probabilities = model.Predict(images);

        var classes = model.PredictClasses(images);

        var argmax = probabilities.argmax(1).data<long>().ToArray();
        Assert.Equal(argmax.Select(i => (int)i), classes.Select(c => c.ClassIndex));
        Assert.Equal(argmax.Select(i => model.ClassNames[(int)i]), classes.Select(c => c.ClassName));
        Assert.Equal(probabilities.max().item<float>(), classes.Max(c => c.Probability), 6);
    }

    [Fact]
    public void PredictClasses_BatchSource_MatchesTensorPath()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        model.ClassNames = ["a", "b", "c"];
        var images = rand(new long[] { 5, 3, 8, 8 }, generator: new Generator(8));
        using var dataset = new InMemoryDataset(images, null, batchSize: 2, ClassMode.None);

        var expected = model.PredictClasses(images);
        var actual = model.PredictClasses(dataset);

        Assert.Equal(expected.Select(c => (c.ClassIndex, c.ClassName)), actual.Select(c => (c.ClassIndex, c.ClassName)));
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First.Probability, p.Second.Probability, 5));
    }

    [Fact]
    public void PredictClasses_SingleSigmoidUnit_ThresholdsAtHalf()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel(units: 1, activation: Activation.Sigmoid);
        model.ClassNames = ["cats", "dogs"];
        var images = rand(new long[] { 8, 3, 8, 8 }, generator: new Generator(6));
        var p = model.Predict(images).flatten().data<float>().ToArray();

        var classes = model.PredictClasses(images);

        for (var i = 0; i < p.Length; i++)
        {
            Assert.Equal(p[i] > 0.5f ? 1 : 0, classes[i].ClassIndex);
            Assert.Equal(p[i] > 0.5f ? "dogs" : "cats", classes[i].ClassName);
            Assert.Equal(p[i] > 0.5f ? p[i] : 1 - p[i], classes[i].Probability, 6);
        }
    }

    [Fact]
    public void PredictClasses_WithoutClassNames_HasNullNames()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();

        var classes = model.PredictClasses(rand(2, 3, 8, 8));

        Assert.All(classes, c => Assert.Null(c.ClassName));
    }

    [Fact]
    public void ClassNames_WrongCount_Throws()
    {
        using var model = SmallModel();

        var ex = Assert.Throws<ArgumentException>(() => model.ClassNames = ["a", "b"]);

        Assert.Contains("3 class names", ex.Message);
    }

    [Fact]
    public void Preprocessing_OtherTargetSize_Throws()
    {
        using var model = SmallModel();

        var ex = Assert.Throws<ArgumentException>(() => model.Preprocessing = new ImagePreprocessing { TargetHeight = 9, TargetWidth = 8 });

        Assert.Contains("TargetHeight", ex.Message);
    }

    [Fact]
    public void Predict_WrongShape_Throws()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();

        Assert.Throws<ArgumentException>(() => model.Predict(rand(2, 1, 8, 8)));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(rand(2, 3, 8, 8), 0));
    }

    [Fact]
    public void To_Cuda_WithoutCuda_ThrowsClearly_LeavesTheModelUsable_OtherwiseMoves()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        var images = rand(new long[] { 2, 3, 8, 8 }, generator: new Generator(11));
        var before = model.Predict(images);

        if (ConvVizRuntime.IsCudaAvailable)
        {
            model.To(ComputeDevice.Cuda);
            Assert.Equal(ComputeDevice.Cuda, model.Device);
            Assert.All(model.Module.parameters(), p => Assert.Equal(DeviceType.CUDA, p.device_type));
        }
        else
        {
            var parameters = model.Module.parameters().ToArray();
            var ex = Assert.Throws<NotSupportedException>(() => model.To(ComputeDevice.Cuda));
            Assert.Contains("CUDA is not available", ex.Message);
            Assert.Contains("TorchSharp-cuda", ex.Message);

            // Nothing moved: same device, same parameter objects on the CPU, the same predictions bit for bit.
            Assert.Equal(ComputeDevice.Cpu, model.Device);
            _ = AssertSameParametersOnCpu(parameters, model);

            Assert.Equal(Values(before), Values(model.Predict(images))); // bit for bit
        }
    }

    /// <summary>Asserts that the model still holds the same parameter objects, all on the CPU; returns them.</summary>
    private static TorchSharp.Modules.Parameter[] AssertSameParametersOnCpu(TorchSharp.Modules.Parameter[] before, Model model)
    {
        var after = model.Module.parameters().ToArray();
        Assert.Equal(before.Length, after.Length);
        for (var i = 0; i < after.Length; i++)
        {
            Assert.Same(before[i], after[i]);
            Assert.Equal(DeviceType.CPU, after[i].device_type);
        }

        return after;
    }

    /// <summary>
    /// On a CPU model, To(Cpu) must change nothing: the same parameter objects with the same values and strides
    /// (channels-last kernels), the same predictions bit for bit, and the optimizer state (Adam's moments and step
    /// count) kept, so one more epoch gives exactly the weights of an identical model that was never moved.
    /// </summary>
    [Fact]
    public void To_Cpu_OnACpuModel_KeepsParametersLayoutPredictionsAndOptimizerState()
    {
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            using var scope = NewDisposeScope();
            using var moved = SmallModel().Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01), Metric.Accuracy);
            using var reference = SmallModel().Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01), Metric.Accuracy);
            using var data = ThreeClasses();
            moved.Fit(data, new FitOptions { Epochs = 1, Seed = 5 });
            reference.Fit(data, new FitOptions { Epochs = 1, Seed = 5 });

            var parameters = moved.Module.parameters().ToArray();
            var values = Weights(moved);
            var strides = parameters.Select(p => p.stride()).ToArray();
            Assert.Contains(parameters, p => p.dim() == 4 && Model.IsChannelsLast(p)); // the conv kernel: a layout To must keep
            var iterations = moved.GetOptimizer().Iterations;
            Assert.True(iterations > 0);
            var images = rand(new long[] { 4, 3, 8, 8 }, generator: new Generator(12));
            var before = moved.Predict(images);

            Assert.Same(moved, moved.To(ComputeDevice.Cpu));

            Assert.Equal(ComputeDevice.Cpu, moved.Device);
            var after = AssertSameParametersOnCpu(parameters, moved);
            for (var i = 0; i < after.Length; i++)
            {
                Assert.Equal(ScalarType.Float32, after[i].dtype);
                Assert.Equal(strides[i], after[i].stride());
            }

            Assert.Equal(values, Weights(moved));
            Assert.Equal(Values(before), Values(moved.Predict(images))); // bit for bit
            Assert.Equal(iterations, moved.GetOptimizer().Iterations);

            // Adam's moments survived the call: the next epoch matches the model that was never moved, bit for bit.
            moved.Fit(data, new FitOptions { InitialEpoch = 1, Epochs = 2, Seed = 5 });
            reference.Fit(data, new FitOptions { InitialEpoch = 1, Epochs = 2, Seed = 5 });
            Assert.Equal(reference.GetOptimizer().Iterations, moved.GetOptimizer().Iterations);
            var expected = Weights(reference);
            var actual = Weights(moved);
            Assert.NotEqual(values, actual); // the second epoch trained
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i], actual[i]); // exact float equality, element by element
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void SetThreads_ChangesLibtorchThreadCount()
    {
        var original = ConvVizRuntime.Threads;
        try
        {
            ConvVizRuntime.SetThreads(1);
            Assert.Equal(1, ConvVizRuntime.Threads);
        }
        finally
        {
            ConvVizRuntime.SetThreads(original);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => ConvVizRuntime.SetThreads(0));
    }

    /// <summary>Twelve random 8×8 RGB images with one-hot labels of three classes, in a fixed order.</summary>
    private static InMemoryDataset ThreeClasses()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(13);
        var images = rand(new long[] { 12, 3, 8, 8 }, generator: generator);
        var labels = nn.functional.one_hot(randint(3, new long[] { 12 }, generator: generator), 3).to_type(ScalarType.Float32);
        return new InMemoryDataset(images, labels, batchSize: 4);
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    private static float[][] Weights(Model model)
    {
        using var scope = NewDisposeScope();
        return model.Module.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Value.detach().cpu().contiguous().data<float>().ToArray()).ToArray();
    }
}
