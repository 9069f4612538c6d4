// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

/// <summary>
/// Feature extraction without augmentation (Deep Learning with R, 5.3, method 1): a frozen base runs once over the
/// data, and a small classifier trained on its outputs learns the task.
/// </summary>
public sealed class FeatureExtractionTests
{
    [Fact]
    public void Features_are_the_base_outputs_in_source_order_with_the_labels()
    {
        using var data = TrainingTestData.Brightness(10, 4, 21);
        using var conv = Base(1);
        var reports = new List<TrainingProgress>();

        using var features = conv.ExtractFeatures(data, new FeatureExtractionOptions { Shuffle = false, BatchSize = 3, Progress = new SyncProgress(reports) });

        Assert.Equal(new ImageShape(2, 2, 8), features.FeatureShape);
        Assert.Equal(10, features.SampleCount);
        Assert.Equal(4, features.BatchesPerEpoch);
        Assert.Equal(ClassMode.Categorical, features.ClassMode);
        Assert.Equal([1, 2, 3], reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(TrainingPhase.FeatureExtractionBatch, r.Phase));

        using var scope = NewDisposeScope();
        var images = cat(data.GetBatches(0).Select(b => b.Images).ToList(), 0);
        var labels = cat(data.GetBatches(0).Select(b => b.Labels!).ToList(), 0);
        var expected = conv.Predict(images).contiguous();
        var batches = features.GetBatches(0).ToList();
        Assert.Equal([3, 3, 3, 1], batches.Select(b => b.Count));
        Assert.All(batches, b => Assert.Equal([b.Count, 8L, 2, 2], b.Images.shape));
        Assert.True(Same(cat(batches.Select(b => b.Images).ToList(), 0), expected));
        Assert.True(Same(cat(batches.Select(b => b.Labels!).ToList(), 0), labels));
    }

    [Fact]
    public void A_small_head_trained_on_extracted_features_reaches_a_sensible_accuracy()
    {
        using var train = TrainingTestData.Brightness(256, 16, 22);
        using var validation = TrainingTestData.Brightness(128, 16, 23);
        using var conv = new SequentialBuilder(4, 4, 1).WithSeed(2).AddConv2D(32, 3, Activation.ReLU).Build().Freeze();
        using var trainFeatures = conv.ExtractFeatures(train, new FeatureExtractionOptions { Seed = 4 });
        using var validationFeatures = conv.ExtractFeatures(validation, new FeatureExtractionOptions { Shuffle = false });
        using var head = new SequentialBuilder(trainFeatures.FeatureShape).WithSeed(5)
            .AddFlatten()
            .AddDense(16, Activation.ReLU)
            .AddDense(2, Activation.Softmax)
            .Build()
            .Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01), Metric.Accuracy);

        var history = head.Fit(trainFeatures, new FitOptions { Epochs = 30, ValidationData = validationFeatures, Seed = 6, Verbosity = TrainingVerbosity.Silent });

        Assert.True(history["loss"][^1] < history["loss"][0] / 2, $"loss {history["loss"][0]:0.000} → {history["loss"][^1]:0.000}, accuracy {history["accuracy"][^1]:0.000}, validation {history["val_accuracy"][^1]:0.000}");
        Assert.True(history["val_accuracy"][^1] >= 0.85, $"validation accuracy {history["val_accuracy"][^1]:0.000}");
        Assert.True(head.Evaluate(validationFeatures)["accuracy"] >= 0.85);
        Assert.Null(head.Preprocessing); // the images' preprocessing is not the head's
    }

    [Fact]
    public void A_flat_base_output_gives_one_by_one_feature_maps()
    {
        using var data = TrainingTestData.Brightness(6, 4, 24);
        using var conv = new SequentialBuilder(4, 4, 1).WithSeed(3).AddConv2D(5, 3, Activation.ReLU).AddGlobalAveragePooling2D().Build();

        using var features = conv.ExtractFeatures(data);

        Assert.Equal(new ImageShape(1, 1, 5), features.FeatureShape);
        using var batch = features.GetBatches(0).First();
        Assert.Equal([4L, 5, 1, 1], batch.Images.shape);
    }

    [Fact]
    public void Extraction_checks_the_source_and_stops_when_cancelled()
    {
        using var conv = Base(1);
        using var unlabeled = new InMemoryDataset(zeros(4, 1, 4, 4), null, 2, ClassMode.None);
        var noLabels = Assert.Throws<ArgumentException>(() => conv.ExtractFeatures(unlabeled));
        Assert.Contains("ClassMode.Categorical", noLabels.Message, StringComparison.Ordinal);

        using var wrongSize = TrainingTestData.Shapes(2, 8, 2, 1, shuffle: false);
        var shape = Assert.Throws<ArgumentException>(() => conv.ExtractFeatures(wrongSize));
        Assert.Contains("(None, 8, 8, 3)", shape.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 4, 4, 1)", shape.Message, StringComparison.Ordinal);

        using var data = TrainingTestData.Brightness(8, 2, 25);
        using var cancellation = new CancellationTokenSource();
        var progress = new SyncProgress(cancelAfter: 2, cancellation);
        Assert.ThrowsAny<OperationCanceledException>(() => conv.ExtractFeatures(data, new FeatureExtractionOptions { Progress = progress }, cancellation.Token));
        Assert.Equal(2, progress.Count);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>A 4×4×1 → 2×2×8 convolutional base, standing in for a pretrained one.</summary>
    private static Model Base(int seed) => new SequentialBuilder(4, 4, 1).WithSeed(seed).AddConv2D(8, 3, Activation.ReLU).Build();

    /// <summary>Records reports synchronously (Progress&lt;T&gt; would post them to the thread pool) and can cancel after some.</summary>
    private sealed class SyncProgress(List<TrainingProgress>? reports = null, int cancelAfter = int.MaxValue, CancellationTokenSource? cancellation = null) : IProgress<TrainingProgress>
    {
        public SyncProgress(int cancelAfter, CancellationTokenSource cancellation)
            : this(null, cancelAfter, cancellation)
        {
        }

        public int Count { get; private set; }

        public void Report(TrainingProgress value)
        {
            reports?.Add(value);
            if (++Count == cancelAfter)
            {
                cancellation?.Cancel();
            }
        }
    }
}
