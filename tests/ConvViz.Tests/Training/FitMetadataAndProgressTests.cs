// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

/// <summary>Fit carries the data's preprocessing and class names onto the model, prints Keras-style progress by default, and logs one structured record per epoch.</summary>
public sealed class FitMetadataAndProgressTests
{
    private static readonly ImagePreprocessing Scaled = new() { TargetHeight = 4, TargetWidth = 4, ColorMode = ColorMode.Grayscale, Rescale = 1.0 / 255 };

    [Fact]
    public void Fit_ModelWithoutMetadata_TakesTheDataPreprocessingAndClassNames()
    {
        using var data = Data(Scaled, ["cat", "dog"]);
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        Assert.Null(model.Preprocessing);
        model.Fit(data, Silent());
        Assert.Same(Scaled, model.Preprocessing);
        Assert.Equal(["cat", "dog"], model.ClassNames);
    }

    [Fact]
    public void Fit_ConflictingPreprocessing_ThrowsNamingBothValuesAndTheFix_BeforeAnyStep()
    {
        using var data = Data(Scaled, ["cat", "dog"]);
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        model.Preprocessing = new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4, ColorMode = ColorMode.Grayscale };
        var ex = Assert.Throws<ArgumentException>(() => model.Fit(data, Silent()));
        Assert.Contains("rescale: model null, training data 0.00392156862745098", ex.Message, StringComparison.Ordinal);
        Assert.Contains("model.Preprocessing = train.Preprocessing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MetadataMismatchPolicy.Warn", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.GetOptimizer().Iterations);
        Assert.Empty(model.ClassNames);
    }

    [Fact]
    public void Fit_ConflictingClassNames_Throws_OrWarnsAndKeepsTheModels()
    {
        using var data = Data(Scaled, ["cat", "dog"]);
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        model.ClassNames = ["dog", "cat"];
        var ex = Assert.Throws<ArgumentException>(() => model.Fit(data, Silent()));
        Assert.Contains("model [dog, cat], training data [cat, dog]", ex.Message, StringComparison.Ordinal);

        var logger = new RecordingLogger();
        model.Fit(data, new FitOptions { Verbosity = TrainingVerbosity.Silent, MetadataMismatch = MetadataMismatchPolicy.Warn, Logger = logger });
        Assert.Equal(["dog", "cat"], model.ClassNames);
        Assert.Contains(logger.Records, r => r.Level == LogLevel.Warning && r.Message.Contains("ClassNames differs", StringComparison.Ordinal));
        Assert.Same(Scaled, model.Preprocessing); // the preprocessing had no conflict and was taken
    }

    [Fact]
    public void Verbosity_OneLinePerEpoch_WritesOneKerasLinePerEpoch()
    {
        using var data = Data(Scaled, ["cat", "dog"]);
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        var writer = new StringWriter();
        model.Fit(data, new FitOptions { Epochs = 3, ProgressWriter = writer, Verbosity = TrainingVerbosity.OneLinePerEpoch, ValidationData = data });
        var lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.DoesNotContain('\r', writer.ToString());
        for (var e = 0; e < 3; e++)
        {
            Assert.Matches($@"^Epoch {e + 1}/3 - 2/2 - \d+s \d+ms/step - loss: \d\.\d{{4}} - accuracy: \d\.\d{{4}} - val_loss: \d\.\d{{4}} - val_accuracy: \d\.\d{{4}}$", lines[e]);
        }
    }

    [Fact]
    public void Verbosity_ProgressBar_RedrawsInPlaceAndEndsEachEpochWithALine()
    {
        using var data = Data(Scaled, ["cat", "dog"]);
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        var writer = new StringWriter();
        model.Fit(data, new FitOptions { Epochs = 2, ProgressWriter = writer, Verbosity = TrainingVerbosity.ProgressBar });
        var text = writer.ToString();
        var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["Epoch 1/2", "Epoch 2/2"], lines.Where((_, i) => i % 2 == 0));
        Assert.Contains("\r1/2 [==============>...............] - ETA: ", text, StringComparison.Ordinal);
        Assert.Matches(@"\r2/2 \[==============================\] - \d+s \d+ms/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}", lines[1].Split('\r')[^1].Insert(0, "\r"));
    }

    [Fact]
    public void Verbosity_AutoWithAProgressReceiver_PrintsNothing_SilentPrintsNothing()
    {
        using var data = Data(Scaled, ["cat", "dog"]);
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        var writer = new StringWriter();
        var reports = new List<TrainingProgress>();
        model.Fit(data, new FitOptions { ProgressWriter = writer, Progress = new SyncProgress(reports.Add) });
        model.Fit(data, new FitOptions { ProgressWriter = writer, Verbosity = TrainingVerbosity.Silent });
        Assert.Empty(writer.ToString());
        Assert.Equal(3, reports.Count);

        // Auto without a receiver and with a writer other than the console: one line per epoch.
        model.Fit(data, new FitOptions { ProgressWriter = writer });
        Assert.StartsWith("Epoch 1/1 - 2/2 - ", writer.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Logger_ReceivesOneStructuredRecordPerEpoch_WithTheMetricsAsProperties()
    {
        using var data = Data(Scaled, ["cat", "dog"]);
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        var logger = new RecordingLogger();
        var history = model.Fit(data, new FitOptions { Epochs = 2, Verbosity = TrainingVerbosity.Silent, Logger = logger });
        var epochs = logger.Records.Where(r => r.EventId == 500).ToArray();
        Assert.Equal(2, epochs.Length);
        var last = epochs[1].Properties;
        Assert.Equal(2, last["Epoch"]);
        Assert.Equal(2, last["Epochs"]);
        Assert.Equal(history["loss"][^1], last["loss"]);
        Assert.Equal(history["accuracy"][^1], last["accuracy"]);
        Assert.StartsWith("Epoch 2/2 - ", epochs[1].Message, StringComparison.Ordinal);
        Assert.Contains("{OriginalFormat}", last.Keys);
    }

    private static FitOptions Silent() => new() { Epochs = 1, Verbosity = TrainingVerbosity.Silent };

    private static WithPreprocessing Data(ImagePreprocessing preprocessing, string[] names)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator().manual_seed(4);
        var images = rand([8, 1, 4, 4], generator: generator);
        var labels = nn.functional.one_hot(tensor(new long[] { 0, 1, 0, 1, 0, 1, 0, 1 }), 2).to_type(ScalarType.Float32);
        return new WithPreprocessing(new InMemoryDataset(images, labels, 4, ClassMode.Categorical, false, 1, names), preprocessing);
    }

    /// <summary>An in-memory source that declares the preprocessing its (already prepared) images went through, as an image folder would.</summary>
    private sealed class WithPreprocessing(InMemoryDataset inner, ImagePreprocessing preprocessing) : IBatchSource, IDisposable
    {
        public int SampleCount => inner.SampleCount;

        public int BatchSize => inner.BatchSize;

        public int BatchesPerEpoch => inner.BatchesPerEpoch;

        public IReadOnlyList<string> ClassNames => inner.ClassNames;

        public ClassMode ClassMode => inner.ClassMode;

        public ImagePreprocessing Preprocessing => preprocessing;

        public IEnumerable<Batch> GetBatches(int epoch, CancellationToken cancellationToken = default) => inner.GetBatches(epoch, cancellationToken);

        public void Dispose() => inner.Dispose();
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, int EventId, string Message, Dictionary<string, object?> Properties)> Records { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
            Records.Add((logLevel, eventId.Id, formatter(state, exception), properties));
        }
    }
}

/// <summary>An image file read by a model without preprocessing logs one warning per model.</summary>
public sealed class NoPreprocessingWarningTests : IDisposable
{
    private readonly ConvViz.Tests.Data.TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void LoadImage_WithoutPreprocessing_WarnsOncePerModel()
    {
        var file = ConvViz.Tests.Data.TestImages.WriteSolidPng(_temp.Combine("x.png"), new SixLabors.ImageSharp.PixelFormats.Rgb24(9, 9, 9), 4);
        var logger = new ConvViz.Tests.Data.ListLogger();
        var previous = ConvVizRuntime.Logger;
        ConvVizRuntime.Logger = logger;
        try
        {
            using var model = TrainingTestData.TinyModel(3);
            using (model.LoadImage(file))
            using (model.PredictImage(file))
            {
            }

            Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("no Preprocessing", StringComparison.Ordinal));
            model.Preprocessing = new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4, ColorMode = ColorMode.Grayscale };
            using var other = TrainingTestData.TinyModel(4);
            using (model.LoadImage(file))
            using (other.LoadImage(file))
            {
            }

            Assert.Equal(2, logger.Entries.Count(e => e.Level == LogLevel.Warning));
        }
        finally
        {
            ConvVizRuntime.Logger = previous;
        }
    }
}
