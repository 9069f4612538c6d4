// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

public sealed class TrainingExtensionsTests(ITestOutputHelper output)
{
    [Fact]
    public void Fit_NotCompiled_ThrowsInvalidOperationWithFix()
    {
        using var model = TrainingTestData.TinyModel(1);
        using var data = TrainingTestData.Brightness(8, 4, 1);

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(data));

        Assert.Contains("Compile", ex.Message);
    }

    [Fact]
    public void Fit_ImageShapeMismatch_FailsBeforeTheFirstStepNamingBothShapes()
    {
        using var model = TrainingTestData.TinyModel(1).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam());
        using var scope = NewDisposeScope();
        using var data = new InMemoryDataset(rand(6, 1, 5, 5), one_hot(zeros(6, dtype: ScalarType.Int64), 2).to_type(ScalarType.Float32), 3);
        var before = TrainingTestData.Weights(model);

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(data));

        Assert.Contains("(None, 5, 5, 1)", ex.Message);
        Assert.Contains("(None, 4, 4, 1)", ex.Message);
        Assert.Equal(before, TrainingTestData.Weights(model));
    }

    [Fact]
    public void Fit_LabelShapeMismatch_FailsBeforeTheFirstStepNamingBothShapes()
    {
        using var model = TrainingTestData.TinyModel(1).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam());
        using var scope = NewDisposeScope();
        using var data = new InMemoryDataset(rand(6, 1, 4, 4), one_hot(zeros(6, dtype: ScalarType.Int64), 3).to_type(ScalarType.Float32), 3);
        var before = TrainingTestData.Weights(model);

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(data));

        Assert.Contains("[3, 3]", ex.Message);
        Assert.Contains("[N, 2]", ex.Message);
        Assert.Equal(before, TrainingTestData.Weights(model));
    }

    [Fact]
    public void Fit_InitialEpochAfterEpochs_ExplainsKerasMeaning()
    {
        using var model = TrainingTestData.TinyModel(1).Compile(new CompileOptions());
        using var data = TrainingTestData.Brightness(8, 4, 1);

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(data, new FitOptions { InitialEpoch = 5, Epochs = 3 }));

        Assert.Contains("final epoch", ex.Message);
    }

    [Fact]
    public void Fit_InitialEpoch_RunsTheRealEpochIndicesUpToEpochs()
    {
        using var model = TrainingTestData.TinyModel(1).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var validation = TrainingTestData.Brightness(6, 4, 2);
        var begun = new List<int>();
        var reports = new List<TrainingProgress>();

        var history = model.Fit(train, new FitOptions
        {
            Epochs = 5,
            InitialEpoch = 2,
            ValidationData = validation,
            Callbacks = [new LambdaCallback { EpochBegin = e => begun.Add(e.Epoch) }],
            Progress = new SyncProgress<TrainingProgress>(reports.Add),
        });

        Assert.Equal([2, 3, 4], history.Epochs);
        Assert.Equal([2, 3, 4], begun);
        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy"], history.Keys);
        Assert.Equal(3, history["val_accuracy"].Count);
        Assert.Equal(3, history.LearningRates.Count);
        Assert.All(history.LearningRates, lr => Assert.Equal(0.001, lr, 1e-12));
        Assert.Equal(5, history.FinalEpoch);
        Assert.Equal(2, history.InitialEpoch);
        var epochEnds = reports.Where(r => r.Phase == TrainingPhase.EpochEnd).ToList();
        Assert.Equal([2, 3, 4], epochEnds.Select(r => r.Epoch));
        Assert.All(epochEnds, r => Assert.Contains("val_loss", r.Metrics.Keys));
        var batches = reports.Where(r => r.Phase == TrainingPhase.TrainingBatch && r.Epoch == 2).ToList();
        Assert.Equal([1, 2], batches.Select(r => r.Step));
        Assert.All(batches, r => Assert.Equal(2, r.TotalSteps));
        Assert.Equal(TimeSpan.Zero, batches[^1].EstimatedRemaining);
    }

    [Fact]
    public void Evaluate_UnevenBatches_IsTheSampleWeightedMean()
    {
        using var model = TrainingTestData.TinyModel(3).Compile(Loss.BinaryCrossentropy, OptimizerOptions.Adamax(), Metric.Accuracy);
        using var batched = TrainingTestData.Brightness(5, 2, 4);   // batches of 2, 2, 1
        using var whole = TrainingTestData.Brightness(5, 5, 4);     // the same samples in one batch

        var byBatches = model.Evaluate(batched);
        var oneBatch = model.Evaluate(whole);

        Assert.Equal(oneBatch["loss"], byBatches["loss"], 1e-6);
        Assert.Equal(oneBatch["accuracy"], byBatches["accuracy"], 1e-9);
    }

    [Fact]
    public void Fit_ValidationRunsInEvalModeWithoutGradients_AndModeIsRestored()
    {
        using var model = TrainingTestData.TinyModel(5, dropout: 0.5).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam());
        using var train = TrainingTestData.Brightness(16, 4, 1);
        using var validation = TrainingTestData.Brightness(8, 4, 2);
        var trainingModeInBatches = new List<bool>();

        var history = model.Fit(train, new FitOptions
        {
            Epochs = 2,
            ValidationData = validation,
            Callbacks = [new LambdaCallback { BatchBegin = e => trainingModeInBatches.Add(e.Model.Module.training) }],
        });
        var evaluated = model.Evaluate(validation);

        // Dropout is off during validation, so val_loss equals a later evaluation with the same weights.
        Assert.Equal(evaluated["loss"], history["val_loss"][^1], 1e-6);
        Assert.False(model.Module.training);
        Assert.All(model.Module.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));
    }

    [Fact]
    public void Fit_IsDeterministicWithASeed()
    {
        var (historyA, weightsA) = SeededRun();
        var (historyB, weightsB) = SeededRun();

        Assert.Equal(historyA.Keys, historyB.Keys);
        foreach (var key in historyA.Keys)
        {
            Assert.Equal(historyA[key].Count, historyB[key].Count);
            for (var i = 0; i < historyA[key].Count; i++)
            {
                Assert.Equal(historyA[key][i], historyB[key][i], 1e-6);
            }
        }

        Assert.Equal(weightsA, weightsB);
    }

    [Fact]
    public void Fit_ManyEpochs_LeaksNoTensors()
    {
        using var model = TrainingTestData.TinyModel(7, dropout: 0.2).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adamax(0.01));
        using var train = TrainingTestData.Brightness(20, 4, 1, shuffle: true);
        using var validation = TrainingTestData.Brightness(10, 4, 2);
        var options = new FitOptions { Epochs = 1, ValidationData = validation };
        model.Fit(train, options); // creates the optimizer state
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        model.Fit(train, new FitOptions { Epochs = 8, ValidationData = validation, StepsPerEpoch = 3, ValidationSteps = 2 });
        model.Fit(train, new FitOptions { Epochs = 4, ValidationData = validation });
        model.Evaluate(validation);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Fit_Cancelled_ThrowsBetweenBatchesAndLeavesModelAndOptimizerConsistent()
    {
        using var model = TrainingTestData.TinyModel(9).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01));
        using var train = TrainingTestData.Brightness(16, 4, 1);
        using var cts = new CancellationTokenSource();
        var completed = 0;
        var cancelAfter = new LambdaCallback
        {
            BatchEnd = e =>
            {
                if (++completed == 6)
                {
                    cts.Cancel();
                }
            },
        };

        var ex = Assert.Throws<TrainingCanceledException>(() => model.Fit(train, new FitOptions { Epochs = 3, Callbacks = [cancelAfter] }, cts.Token));

        Assert.IsAssignableFrom<OperationCanceledException>(ex);
        Assert.Equal(cts.Token, ex.CancellationToken);
        Assert.Equal([0], ex.History.Epochs); // epoch 0 (4 batches) completed; epoch 1 stopped after 2 batches

        Assert.Equal(6, model.GetOptimizer().Iterations);
        Assert.False(model.Module.training);
        Assert.All(TrainingTestData.Weights(model), w => Assert.True(float.IsFinite(w)));
        var history = model.Fit(train, new FitOptions { Epochs = 1 });
        Assert.Equal(10, model.GetOptimizer().Iterations);
        Assert.True(double.IsFinite(history["loss"][0]));
    }

    [Fact]
    public async Task FitAsync_Cancelled_EndsAsCancelled()
    {
        using var model = TrainingTestData.TinyModel(9).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(16, 4, 1);
        using var cts = new CancellationTokenSource();
        var stopper = new LambdaCallback { BatchEnd = e => { if (e.Batch == 1) { cts.Cancel(); } } };

        var task = model.FitAsync(train, new FitOptions { Epochs = 2, Callbacks = [stopper] }, cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(2, model.GetOptimizer().Iterations);
    }

    [Fact]
    public async Task FitAsync_ReturnsTheHistory()
    {
        using var model = TrainingTestData.TinyModel(9).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);

        var history = await model.FitAsync(train, new FitOptions { Epochs = 2 });

        Assert.Equal([0, 1], history.Epochs);
    }

    [Fact]
    public void Fit_CallbackThrows_RethrowsThatExceptionAndModelStaysUsable()
    {
        using var model = TrainingTestData.TinyModel(11).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        var boom = new InvalidOperationException("boom");
        var thrower = new LambdaCallback { EpochEnd = e => { if (e.Epoch == 1) { throw boom; } } };

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(train, new FitOptions { Epochs = 4, Callbacks = [thrower] }));

        Assert.Same(boom, ex);
        Assert.False(model.Module.training);
        Assert.Equal(4, model.GetOptimizer().Iterations);
        Assert.Single(model.Fit(train).Epochs);
    }

    [Fact]
    public void Fit_NaNLoss_ThrowsWithEpochAndBatchAndSkipsTheUpdate()
    {
        using var model = TrainingTestData.TinyModel(13).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 2, 1, nanAt: 5); // sample 5 is in batch index 2
        var weightsBeforeBadBatch = Array.Empty<float>();
        var snapshot = new LambdaCallback { BatchBegin = e => { if (e.Batch == 2) { weightsBeforeBadBatch = TrainingTestData.Weights(e.Model); } } };

        var ex = Assert.Throws<NonFiniteLossException>(() => model.Fit(train, new FitOptions { Epochs = 1, Callbacks = [snapshot] }));

        Assert.Equal(0, ex.Epoch);
        Assert.Equal(2, ex.Batch);
        Assert.Contains("epoch 1", ex.Message);
        Assert.Contains("batch 3", ex.Message);
        Assert.Equal(weightsBeforeBadBatch, TrainingTestData.Weights(model));
    }

    [Fact]
    public void Fit_BinaryAndSparseLabels_Train()
    {
        using var binaryModel = TrainingTestData.TinyModel(15, units: 1).Compile(Loss.BinaryCrossentropy, OptimizerOptions.Adam(0.01), Metric.Accuracy);
        using var binary = TrainingTestData.Brightness(32, 8, 1, ClassMode.Binary);
        using var sparseModel = TrainingTestData.TinyModel(15).Compile(Loss.SparseCategoricalCrossentropy, OptimizerOptions.RmsProp(0.01), Metric.Accuracy);
        using var sparse = TrainingTestData.Brightness(32, 8, 1, ClassMode.Sparse);

        var binaryHistory = binaryModel.Fit(binary, new FitOptions { Epochs = 3 });
        var sparseHistory = sparseModel.Fit(sparse, new FitOptions { Epochs = 3 });

        Assert.All(binaryHistory["accuracy"].Concat(sparseHistory["accuracy"]), a => Assert.InRange(a, 0, 1));
        Assert.True(binaryHistory["loss"][^1] < binaryHistory["loss"][0]);
        Assert.True(sparseHistory["loss"][^1] < sparseHistory["loss"][0]);
    }

    [Fact]
    public void Fit_StepsPerEpoch_ContinuesTheCursorAcrossEpochsLikeAKerasGenerator()
    {
        using var model = TrainingTestData.TinyModel(17).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(12, 4, 1);   // 3 batches per pass
        var counts = new List<int>();
        var counter = new LambdaCallback { BatchEnd = e => counts.Add(0) };

        var history = model.Fit(train, new FitOptions { Epochs = 4, StepsPerEpoch = 2, Callbacks = [counter] });

        Assert.Equal(8, counts.Count);
        Assert.Equal(2, history.StepsPerEpoch);
        Assert.Equal(8, model.GetOptimizer().Iterations);
    }

    [Fact]
    public void Fit_Recompile_StartsAFreshOptimizer()
    {
        using var model = TrainingTestData.TinyModel(19).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        model.Fit(train);
        var first = model.GetOptimizer();

        model.Compile(new CompileOptions { Optimizer = OptimizerOptions.Sgd() });

        Assert.NotSame(first, model.GetOptimizer());
        Assert.Equal(0, model.GetOptimizer().Iterations);
        Assert.Equal(OptimizerKind.Sgd, model.GetOptimizer().Kind);
    }

    [Fact]
    public void Fit_TwoClassShapes_ReachesNinetyFivePercentValidationAccuracy()
    {
        torch.manual_seed(2024);
        using var model = new SequentialBuilder(28, 28, 3)
            .AddConv2D(16, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(32, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(32, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddFlatten()
            .AddDense(2, Activation.Softmax)
            .Build()
            .Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.003), Metric.Accuracy);
        using var train = TrainingTestData.Shapes(500, 28, 25, seed: 1, shuffle: true);
        using var validation = TrainingTestData.Shapes(200, 28, 50, seed: 2, shuffle: false);
        var stopWhenGood = new LambdaCallback { EpochEnd = e => { if (e.Logs["val_accuracy"] >= 0.97) { e.RequestStop(); } } };

        var history = model.Fit(train, new FitOptions { Epochs = 25, ValidationData = validation, Callbacks = [stopWhenGood], Seed = 3 });

        output.WriteLine(history.ToCsv());
        Assert.True(history["val_accuracy"][^1] >= 0.95, $"val_accuracy after {history.Count} epochs: {history["val_accuracy"][^1]}\n{history.ToCsv()}");
    }

    [Fact]
    public void Fit_BlogCall_TranslatesOneToOne()
    {
        // R: compile(loss = 'binary_crossentropy', optimizer = optimizer_adamax(lr = 0.001), metrics = 'accuracy')
        //    fit_generator(train, steps_per_epoch, epochs = 4, validation_data = test, validation_steps = 1, initial_epoch = 1)
        using var model = TrainingTestData.TinyModel(23).Compile(Loss.BinaryCrossentropy, OptimizerOptions.Adamax(0.001), Metric.Accuracy);
        using var train = TrainingTestData.Brightness(12, 4, 1, shuffle: true);
        using var test = TrainingTestData.Brightness(8, 4, 2);

        var history = model.Fit(train, new FitOptions { StepsPerEpoch = 3, Epochs = 4, ValidationData = test, ValidationSteps = 1, InitialEpoch = 1 });

        Assert.Equal([1, 2, 3], history.Epochs);
        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy"], history.Keys);
        Assert.All(history["val_accuracy"], a => Assert.Contains(a, new[] { 0, 0.25, 0.5, 0.75, 1 })); // one batch of 4
        Assert.Equal(9, model.GetOptimizer().Iterations);
    }

    [Fact]
    public void Fit_Logger_ReceivesOneSummaryPerEpoch()
    {
        using var model = TrainingTestData.TinyModel(25).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        var logger = new ListLogger();

        model.Fit(train, new FitOptions { Epochs = 3, Logger = logger });

        var summaries = logger.Entries.Where(e => e.Id == 500).Select(e => e.Message).ToList();
        Assert.Equal(3, summaries.Count);
        Assert.StartsWith("Epoch 3/3", summaries[^1]);
        Assert.Contains("loss: ", summaries[^1]);
    }

    private static (TrainingHistory History, float[] Weights) SeededRun()
    {
        using var model = TrainingTestData.TinyModel(21, dropout: 0.3).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adamax(0.01), Metric.Accuracy);
        using var train = TrainingTestData.Brightness(24, 5, 1, shuffle: true);
        using var validation = TrainingTestData.Brightness(10, 4, 2);
        var history = model.Fit(train, new FitOptions { Epochs = 3, ValidationData = validation, Seed = 99 });
        return (history, TrainingTestData.Weights(model));
    }

    private static Tensor one_hot(Tensor indices, int classes) => nn.functional.one_hot(indices, classes);

    private sealed class ListLogger : ILogger
    {
        public List<(int Id, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((eventId.Id, formatter(state, exception)));
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
