// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

/// <summary>Keras' <c>class_weight</c>: the training loss is Σ w[class]·loss / N; metrics and validation are unweighted.</summary>
public sealed class ClassWeightTests
{
    [Fact]
    public void Fit_ClassWeights_LossIsTheWeightedMeanOverTheBatch()
    {
        using var scope = NewDisposeScope();
        using var model = TrainingTestData.TinyModel(41).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Sgd(0.05), Metric.Accuracy);
        var (images, labels) = Data(12, 5);
        using var train = new InMemoryDataset(images, labels, 12, ClassMode.Categorical, shuffle: false, seed: 1);
        double[] weights = [0.5, 3];

        // The epoch's one batch is scored before its update, so the expected loss comes from the initial weights.
        using var probabilityFloor = Scalars.Create(1e-7);
        using var probabilityCeiling = Scalars.Create(1 - 1e-7);
        var p = model.Predict(images).to_type(ScalarType.Float64).clamp(probabilityFloor, probabilityCeiling);
        var perSample = labels.to_type(ScalarType.Float64).mul(p.log()).sum(1).neg().data<double>().ToArray();
        var cls = labels.argmax(1).data<long>().ToArray();
        var expected = perSample.Select((l, i) => weights[cls[i]] * l).Sum() / perSample.Length;
        Assert.Contains(0L, cls);
        Assert.Contains(1L, cls);

        var history = model.Fit(train, new FitOptions { ClassWeights = weights });

        Assert.Equal(expected, history["loss"][0], 1e-5);
        Assert.NotEqual(perSample.Average(), history["loss"][0], 1e-3); // the unweighted mean differs
    }

    [Fact]
    public void Fit_UniformClassWeights_ScaleTheGradientButNotMetricsOrValidation()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Data(16, 7);
        using var data = new InMemoryDataset(images, labels, 16, ClassMode.Categorical, shuffle: false, seed: 1);
        using var weighted = TrainingTestData.TinyModel(43).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Sgd(0.1), Metric.Accuracy);
        using var doubledRate = TrainingTestData.TinyModel(43).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Sgd(0.2), Metric.Accuracy);

        var a = weighted.Fit(data, new FitOptions { Epochs = 2, ClassWeights = [2, 2], ValidationData = data });
        var b = doubledRate.Fit(data, new FitOptions { Epochs = 2, ValidationData = data });

        // SGD: a loss scaled by 2 takes the same step as a learning rate doubled.
        Assert.Equal(TrainingTestData.Weights(doubledRate), TrainingTestData.Weights(weighted), (x, y) => Math.Abs(x - y) < 1e-5);
        for (var epoch = 0; epoch < 2; epoch++)
        {
            Assert.Equal(2 * b["loss"][epoch], a["loss"][epoch], 1e-5);
            Assert.Equal(b["accuracy"][epoch], a["accuracy"][epoch], 1e-9);
            Assert.Equal(b["val_loss"][epoch], a["val_loss"][epoch], 1e-5);
        }
    }

    [Fact]
    public void Fit_SparseAndBinaryLabels_UseTheLabelAsTheClass()
    {
        using var scope = NewDisposeScope();
        var cls = tensor(new long[] { 0, 1, 1, 0, 1, 1 });
        Assert.Equal(new[] { 1.0, 4, 4, 1, 4, 4 }, Trainer.SampleWeights([1, 4], cls).data<double>().ToArray());
        Assert.Equal(new[] { 1.0, 4, 4, 1, 4, 4 }, Trainer.SampleWeights([1, 4], cls.to_type(ScalarType.Float32).unsqueeze(1)).data<double>().ToArray());
        Assert.Equal(new[] { 1.0, 4 }, Trainer.SampleWeights([1, 4], tensor(new float[,] { { 0.9f, 0.1f }, { 0.2f, 0.8f } })).data<double>().ToArray());
    }

    [Fact]
    public void Fit_ClassWeightsForTheWrongNumberOfClasses_ThrowsNamingTheOption()
    {
        using var model = TrainingTestData.TinyModel(47).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(train, new FitOptions { ClassWeights = [1, 2, 3] }));

        Assert.Contains("FitOptions.ClassWeights has 3 weights but the model predicts 2 classes", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void ClassWeights_NegativeOrNaN_Throws(double bad)
    {
        var ex = Assert.Throws<ArgumentException>(() => new FitOptions { ClassWeights = [1, bad] });

        Assert.Equal("ClassWeights", ex.ParamName);
    }

    private static (Tensor Images, Tensor Labels) Data(int count, int seed)
    {
        var generator = new Generator().manual_seed(seed);
        var images = rand([count, 1, 4, 4], generator: generator);
        var cls = images[.., .., .., ..2].mean([1, 2, 3]).gt(images[.., .., .., 2..].mean([1, 2, 3])).to_type(ScalarType.Int64);
        return (images, nn.functional.one_hot(cls, 2).to_type(ScalarType.Float32));
    }
}
