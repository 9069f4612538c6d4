// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

public sealed class LossFunctionsTests
{
    [Fact]
    public void BinaryCrossentropy_HandComputed_ClipsAt1e7AndAveragesTheLastAxis()
    {
        using var scope = NewDisposeScope();
        var predictions = tensor(new float[] { 0.9f, 0.2f, 0f, 1f, 0.6f, 0.3f, 0f, 0f }, [4, 2]);
        var targets = tensor(new float[] { 1, 0, 0, 1, 1, 1, 1, 0 }, [4, 2]);

        var perSample = LossFunctions.PerSample(Loss.BinaryCrossentropy, predictions, targets).data<float>().ToArray();

        // -(y log p + (1-y) log(1-p)) with p clipped to [1e-7, 1-1e-7], mean over the 2 columns.
        Assert.Equal(0.164252033486018, perSample[0], 1e-6);
        Assert.Equal(1.0e-7, perSample[1], 1e-6);
        Assert.Equal(0.8573992140459634, perSample[2], 1e-6);
        Assert.Equal((-Math.Log(1e-7) - Math.Log(1 - 1e-7)) / 2, perSample[3], 1e-4); // 8.059, not PyTorch's 50 (log clamp at -100)
    }

    [Fact]
    public void BinaryCrossentropy_VectorTargetsForOneUnit_AreAligned()
    {
        using var scope = NewDisposeScope();
        var predictions = tensor(new float[] { 0.8f, 0.3f }, [2, 1]);
        var targets = tensor(new float[] { 1, 0 });

        var perSample = LossFunctions.PerSample(Loss.BinaryCrossentropy, predictions, targets).data<float>().ToArray();

        Assert.Equal([2], LossFunctions.PerSample(Loss.BinaryCrossentropy, predictions, targets).shape);
        Assert.Equal(-Math.Log(0.8), perSample[0], 1e-6);
        Assert.Equal(-Math.Log(0.7), perSample[1], 1e-6);
    }

    [Fact]
    public void CategoricalCrossentropy_HandComputed_SumsOverClassesAfterNormalising()
    {
        using var scope = NewDisposeScope();
        var predictions = tensor(new float[] { 0.7f, 0.2f, 0.1f, 0.5f, 0.5f, 1.0f }, [2, 3]); // second row sums to 2
        var targets = tensor(new float[] { 1, 0, 0, 0, 0, 1 }, [2, 3]);

        var perSample = LossFunctions.PerSample(Loss.CategoricalCrossentropy, predictions, targets).data<float>().ToArray();

        Assert.Equal(-Math.Log(0.7), perSample[0], 1e-6);
        Assert.Equal(-Math.Log(0.5), perSample[1], 1e-6);
    }

    [Fact]
    public void SparseCategoricalCrossentropy_IntegerTargets_MatchCategorical()
    {
        using var scope = NewDisposeScope();
        var predictions = tensor(new float[] { 0.7f, 0.2f, 0.1f, 0.25f, 0.25f, 0.5f }, [2, 3]);

        var sparse = LossFunctions.PerSample(Loss.SparseCategoricalCrossentropy, predictions, tensor(new long[] { 0, 2 })).data<float>().ToArray();
        var column = LossFunctions.PerSample(Loss.SparseCategoricalCrossentropy, predictions, tensor(new float[] { 0, 2 }, [2, 1])).data<float>().ToArray();

        Assert.Equal(-Math.Log(0.7), sparse[0], 1e-6);
        Assert.Equal(-Math.Log(0.5), sparse[1], 1e-6);
        Assert.Equal(sparse, column);
    }

    [Fact]
    public void MeanSquaredAndAbsoluteError_HandComputed_AverageTheLastAxis()
    {
        using var scope = NewDisposeScope();
        var predictions = tensor(new float[] { 1, 2, 3, 0 }, [2, 2]);
        var targets = tensor(new float[] { 0, 0, 1, 1 }, [2, 2]);

        var mse = LossFunctions.PerSample(Loss.MeanSquaredError, predictions, targets).data<float>().ToArray();
        var mae = LossFunctions.PerSample(Loss.MeanAbsoluteError, predictions, targets).data<float>().ToArray();

        Assert.Equal([2.5f, 2.5f], mse);
        Assert.Equal([1.5f, 1.5f], mae);
    }
}
