// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
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
    public void To_Cuda_WithoutCuda_ThrowsClearly_OtherwiseMoves()
    {
        using var model = SmallModel();

        if (ConvVizRuntime.IsCudaAvailable)
        {
            model.To(ComputeDevice.Cuda);
            Assert.Equal(ComputeDevice.Cuda, model.Device);
            Assert.All(model.Module.parameters(), p => Assert.Equal(DeviceType.CUDA, p.device_type));
        }
        else
        {
            var ex = Assert.Throws<NotSupportedException>(() => model.To(ComputeDevice.Cuda));
            Assert.Contains("TorchSharp-cuda", ex.Message);
            Assert.Equal(ComputeDevice.Cpu, model.Device);
        }
    }

    [Fact]
    public void To_Cpu_KeepsPredictionsWorking()
    {
        using var scope = NewDisposeScope();
        using var model = SmallModel();
        var images = rand(2, 3, 8, 8);
        using var before = model.Predict(images);

        model.To(ComputeDevice.Cpu);
        using var after = model.Predict(images);

        Assert.True(before.eq(after).all().item<bool>());
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
}
