// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Tests.Data;
using ConvViz.Training;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

/// <summary>
/// Keras' <c>sample_weight</c> (R <c>fit(..., sample_weight =)</c>, <c>flow_images_from_dataframe(weight_col =)</c>):
/// a weight per sample from the data multiplies its loss and its class weight; the loss is Σ w·l / N; metrics stay unweighted.
/// </summary>
public sealed class SampleWeightTests : IDisposable
{
    // The bounds the predicted probabilities are clamped to before their log, as the cross-entropy clips them.
    private static readonly Scalar s_probabilityFloor = Scalars.Permanent(1e-7);

    private static readonly Scalar s_probabilityCeiling = Scalars.Permanent(1 - 1e-7);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fit_SampleWeightsTimesClassWeights_LossIsTheWeightedMeanOverTheBatch()
    {
        using var scope = NewDisposeScope();
        using var model = TrainingTestData.TinyModel(41).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Sgd(0.05), Metric.Accuracy);
        var (images, labels) = Data(12, 5);
        double[] sample = [0, 0.5, 1, 2, 4, 0.25, 1, 1, 3, 0, 2, 0.5];
        using var train = new InMemoryDataset(images, labels, 12, ClassMode.Categorical, shuffle: false, seed: 1, sampleWeights: tensor(sample));
        double[] classWeights = [0.5, 3];

        // One batch, scored before its update: the expected values come from the initial weights.
        var p = model.Predict(images).to_type(ScalarType.Float64).clamp(s_probabilityFloor, s_probabilityCeiling);
        var perSample = labels.to_type(ScalarType.Float64).mul(p.log()).sum(1).neg().data<double>().ToArray();
        var cls = labels.argmax(1).data<long>().ToArray();
        var predicted = p.argmax(1).data<long>().ToArray();
        var expected = perSample.Select((l, i) => classWeights[cls[i]] * sample[i] * l).Sum() / perSample.Length;
        var accuracy = cls.Zip(predicted).Count(t => t.First == t.Second) / 12.0;
        Assert.Contains(0L, cls);
        Assert.Contains(1L, cls);

        var history = model.Fit(train, new FitOptions { ClassWeights = classWeights });

        Assert.Equal(expected, history["loss"][0], 1e-5);
        Assert.NotEqual(perSample.Select((l, i) => classWeights[cls[i]] * l).Average(), history["loss"][0], 1e-3);
        Assert.Equal(accuracy, history["accuracy"][0], 1e-9); // metrics are not weighted
    }

    [Fact]
    public void Evaluate_SampleWeights_WeightTheLossOverAllBatches_NotTheAccuracy()
    {
        using var scope = NewDisposeScope();
        using var model = TrainingTestData.TinyModel(43).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Sgd(0.05), Metric.Accuracy);
        var (images, labels) = Data(10, 9);
        double[] sample = [1, 2, 0, 0.5, 3, 1, 1, 0.1, 5, 2];
        using var weighted = new InMemoryDataset(images, labels, 4, ClassMode.Categorical, sampleWeights: tensor(sample));
        using var plain = new InMemoryDataset(images, labels, 4, ClassMode.Categorical);
        var p = model.Predict(images).to_type(ScalarType.Float64).clamp(s_probabilityFloor, s_probabilityCeiling);
        var perSample = labels.to_type(ScalarType.Float64).mul(p.log()).sum(1).neg().data<double>().ToArray();

        var a = model.Evaluate(weighted);
        var b = model.Evaluate(plain);

        // Batches of 4, 4 and 2: Keras averages the batch losses weighted by batch size, i.e. Σ w·l / N over the epoch.
        Assert.Equal(perSample.Select((l, i) => sample[i] * l).Sum() / 10, a["loss"], 1e-5);
        Assert.Equal(perSample.Average(), b["loss"], 1e-5);
        Assert.Equal(b["accuracy"], a["accuracy"], 1e-12);
    }

    [Fact]
    public void InMemoryDataset_SampleWeights_FollowTheShuffledSamples()
    {
        using var scope = NewDisposeScope();
        using var sampleCount = Scalars.Create(6);
        using var ten = Scalars.Create(10);
        var images = arange(Scalars.Zero, sampleCount, Scalars.One, ScalarType.Float32).reshape(6, 1, 1, 1).expand(6, 1, 2, 2).contiguous();
        var weights = arange(Scalars.Zero, sampleCount, Scalars.One, ScalarType.Float32).mul(ten);
        using var ds = new InMemoryDataset(images, null, 4, ClassMode.None, shuffle: true, seed: 3, sampleWeights: weights);

        foreach (var batch in ds.GetBatches(1))
        {
            using (batch)
            {
                var ids = batch.Images[.., 0, 0, 0].data<float>().ToArray();
                Assert.Equal(ids.Select(i => i * 10), batch.SampleWeights!.data<float>().ToArray());
            }
        }
    }

    [Fact]
    public void InMemoryDataset_BadSampleWeights_Throw()
    {
        using var scope = NewDisposeScope();
        var images = zeros(3, 1, 2, 2);

        Assert.Throws<ArgumentException>(() => new InMemoryDataset(images, null, 2, ClassMode.None, sampleWeights: ones(2)));
        Assert.Throws<ArgumentException>(() => new InMemoryDataset(images, null, 2, ClassMode.None, sampleWeights: tensor(new[] { 1f, -1f, 1f })));
        Assert.Throws<ArgumentException>(() => new InMemoryDataset(images, null, 2, ClassMode.None, sampleWeights: tensor(new[] { 1f, float.NaN, 1f })));
        Assert.Throws<ArgumentException>(() => new Batch(images.clone(), null, ones(3, 1)));
    }

    [Fact]
    public void FromCsv_WeightColumn_CarriedOnBatchesInFileOrder_UnlistedRowsDropTheirWeight()
    {
        TestImages.WriteSolidPng(_temp.Combine("a.png"), new Rgb24(10, 0, 0), 4);
        TestImages.WriteSolidPng(_temp.Combine("b.png"), new Rgb24(20, 0, 0), 4);
        TestImages.WriteSolidPng(_temp.Combine("c.png"), new Rgb24(30, 0, 0), 4);
        var csv = _temp.Combine("labels.csv");
        File.WriteAllText(csv, "filename,class,w\na.png,cat,0.5\nb.png,bird,9\nc.png,dog,2e0\n");

        using var ds = ImageFolderDataset.FromCsv(csv, "filename", "class", new() { Directory = _temp.Path, Classes = ["cat", "dog"], Shuffle = false, BatchSize = 8, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 } }, weightColumn: "w");
        using var batch = ds.GetBatches(0).Single();

        Assert.Equal([10f, 30f], batch.Images[.., 0, 0, 0].data<float>().ToArray());
        Assert.Equal([0.5f, 2f], batch.SampleWeights!.data<float>().ToArray());
    }

    [Fact]
    public void FromCsv_WeightColumnWithValidationSplit_EachSubsetKeepsItsRowsWeights()
    {
        var csv = _temp.Combine("labels.csv");
        var lines = new List<string> { "filename,class,w" };
        for (var i = 0; i < 4; i++)
        {
            TestImages.WriteSolidPng(_temp.Combine($"{i}.png"), new Rgb24((byte)(10 * i), 0, 0), 4);
            lines.Add($"{i}.png,{(i % 2 == 0 ? "cat" : "dog")},{i + 1}.5");
        }

        File.WriteAllLines(csv, lines);
        ImageFolderDatasetOptions Options(DatasetSubset subset) => new() { Directory = _temp.Path, Shuffle = false, BatchSize = 8, ValidationSplit = 0.5, Subset = subset, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 } };

        using var validation = ImageFolderDataset.FromCsv(csv, "filename", "class", Options(DatasetSubset.Validation), weightColumn: "w");
        using var training = ImageFolderDataset.FromCsv(csv, "filename", "class", Options(DatasetSubset.Training), weightColumn: "w");
        using var v = validation.GetBatches(0).Single();
        using var t = training.GetBatches(0).Single();

        // Keras' data-frame iterator: the first rows are the validation subset.
        Assert.Equal([0f, 10f], v.Images[.., 0, 0, 0].data<float>().ToArray());
        Assert.Equal([1.5f, 2.5f], v.SampleWeights!.data<float>().ToArray());
        Assert.Equal([20f, 30f], t.Images[.., 0, 0, 0].data<float>().ToArray());
        Assert.Equal([3.5f, 4.5f], t.SampleWeights!.data<float>().ToArray());
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("heavy")]
    [InlineData("0,5")]
    [InlineData("NaN")]
    public void FromCsv_BadWeight_ThrowsNamingTheRowAndColumn(string weight)
    {
        TestImages.WriteSolidPng(_temp.Combine("a.png"), new Rgb24(10, 0, 0), 4);
        var csv = _temp.Combine("labels.csv");
        File.WriteAllText(csv, $"filename,class,w\na.png,cat,1\na.png,cat,\"{weight}\"\n");

        var ex = Assert.Throws<InvalidDataException>(() => ImageFolderDataset.FromCsv(csv, "filename", "class", new() { Directory = _temp.Path }, weightColumn: "w"));

        Assert.Contains("Row 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'w'", ex.Message, StringComparison.Ordinal);
    }

    private static (Tensor Images, Tensor Labels) Data(int count, int seed)
    {
        var generator = new Generator().manual_seed(seed);
        var images = rand([count, 1, 4, 4], generator: generator);
        var cls = images[.., .., .., ..2].mean([1, 2, 3]).gt(images[.., .., .., 2..].mean([1, 2, 3])).to_type(ScalarType.Int64);
        return (images, nn.functional.one_hot(cls, 2).to_type(ScalarType.Float32));
    }
}
