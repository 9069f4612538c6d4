// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

public sealed class MetricFunctionsTests
{
    [Theory]
    [InlineData(new long[] { 8, 1 }, new long[] { 8, 1 }, Metric.BinaryAccuracy)]
    [InlineData(new long[] { 8, 1 }, new long[] { 8 }, Metric.BinaryAccuracy)]
    [InlineData(new long[] { 8, 3 }, new long[] { 8 }, Metric.SparseCategoricalAccuracy)]
    [InlineData(new long[] { 8, 3 }, new long[] { 8, 1 }, Metric.SparseCategoricalAccuracy)]
    [InlineData(new long[] { 8, 2 }, new long[] { 8, 2 }, Metric.CategoricalAccuracy)]
    public void Resolve_Accuracy_FollowsTfKerasShapeRules(long[] prediction, long[] target, Metric expected)
    {
        Assert.Equal(expected, MetricFunctions.Resolve(Metric.Accuracy, prediction, target));
    }

    [Fact]
    public void Resolve_ExplicitMetric_IsKept()
    {
        Assert.Equal(Metric.BinaryAccuracy, MetricFunctions.Resolve(Metric.BinaryAccuracy, [8, 2], [8, 2]));
    }

    [Fact]
    public void BinaryAccuracy_TwoColumns_ThresholdsAtHalfAndAveragesColumns()
    {
        using var scope = NewDisposeScope();
        var predictions = tensor(new float[] { 0.6f, 0.4f, 0.5f, 0.5f, 0.2f, 0.9f }, [3, 2]);
        var targets = tensor(new float[] { 1, 0, 1, 0, 1, 1 }, [3, 2]);

        var values = MetricFunctions.PerSample(Metric.BinaryAccuracy, predictions, targets).data<float>().ToArray();

        Assert.Equal([1f, 0.5f, 0.5f], values); // 0.5 is not > 0.5
    }

    [Fact]
    public void CategoricalAndSparseAccuracy_CompareArgmax()
    {
        using var scope = NewDisposeScope();
        var predictions = tensor(new float[] { 0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f }, [2, 3]);

        var categorical = MetricFunctions.PerSample(Metric.Accuracy, predictions, tensor(new float[] { 0, 1, 0, 0, 1, 0 }, [2, 3])).data<float>().ToArray();
        var sparse = MetricFunctions.PerSample(Metric.Accuracy, predictions, tensor(new long[] { 1, 0 })).data<float>().ToArray();

        Assert.Equal([1f, 0f], categorical);
        Assert.Equal([1f, 1f], sparse);
    }

    [Theory]
    [InlineData(Metric.Accuracy, "accuracy")]
    [InlineData(Metric.BinaryAccuracy, "binary_accuracy")]
    [InlineData(Metric.CategoricalAccuracy, "categorical_accuracy")]
    [InlineData(Metric.SparseCategoricalAccuracy, "sparse_categorical_accuracy")]
    public void Key_IsKerasName(Metric metric, string key) => Assert.Equal(key, MetricFunctions.Key(metric));
}
