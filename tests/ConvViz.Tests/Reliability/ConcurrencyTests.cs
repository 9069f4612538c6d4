// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Tests.Training;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// One model used from several threads: concurrent prediction and activation extraction are safe and give the
/// sequential answers; training next to prediction on another thread is refused with an
/// <see cref="InvalidOperationException"/> (see the thread-safety remarks of <see cref="Model"/> and docs/security.md).
/// </summary>
public sealed class ConcurrencyTests
{
    private const int Threads = 4;
    private const int Rounds = 8;

    [Fact]
    public void Predict_ConcurrentOnOneModel_MatchesSequentialResults()
    {
        using var model = ConvModel(dropout: 0);
        using var input = Input(6, seed: 1);
        using var expected = model.Predict(input);

        var results = RunConcurrently(() => model.Predict(input));

        Assert.All(results, r => AssertClose(expected, r));
        Assert.False(model.Module.training);
    }

    [Fact]
    public void PredictAndIntermediateModel_ConcurrentOnOneModel_MatchSequentialResults()
    {
        using var model = ConvModel(dropout: 0);
        using var input = Input(3, seed: 2);
        var layer = IntermediateModel.From(model, 1);
        using var expectedOutput = model.Predict(input);
        using var expectedMaps = layer.Predict(input);

        var results = RunConcurrently(i => i % 2 == 0 ? model.Predict(input) : layer.Predict(input));

        for (var i = 0; i < results.Count; i++)
        {
            AssertClose(i % (2 * Rounds) < Rounds ? expectedOutput : expectedMaps, results[i]);
        }
    }

    [Fact]
    public void Predict_ConcurrentOnModelInTrainingMode_AllRunInEvaluationModeAndModeIsRestored()
    {
        using var model = ConvModel(dropout: 0.5);
        using var input = Input(4, seed: 3);
        using var expected = model.Predict(input); // evaluation mode: dropout off
        model.Module.train();

        var results = RunConcurrently(() => model.Predict(input));

        Assert.All(results, r => AssertClose(expected, r));
        Assert.True(model.Module.training);
    }

    [Fact]
    public void Predict_OnAnotherThreadWhileFitRuns_ThrowsInvalidOperationAndTrainingIsUnaffected()
    {
        using var model = TrainingTestData.TinyModel(21).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var input = rand(2, 1, 4, 4);
        Exception? fromOtherThread = null;
        var modeDuringTraining = false;
        var intruder = new LambdaCallback
        {
            BatchBegin = e =>
            {
                if (e.Batch == 1)
                {
                    fromOtherThread = OnOtherThread(() => e.Model.Predict(input).Dispose());
                    modeDuringTraining = e.Model.Module.training;
                }
            },
        };

        model.Fit(train, new FitOptions { Epochs = 1, Callbacks = [intruder] });

        var ex = Assert.IsType<InvalidOperationException>(fromOtherThread);
        Assert.Contains("Predict", ex.Message);
        Assert.Contains("another thread", ex.Message);
        Assert.True(modeDuringTraining);
        Assert.Equal(2, model.GetOptimizer().Iterations);
        using var after = model.Predict(input); // allowed again once Fit has returned
        Assert.Equal(2, after.shape[0]);
    }

    [Fact]
    public void FitAndSave_OnAnotherThreadWhileFitRuns_Throw_SameThreadCallbacksMayPredictAndSave()
    {
        using var model = TrainingTestData.TinyModel(22).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var input = rand(2, 1, 4, 4);
        var directory = Directory.CreateTempSubdirectory("convviz-concurrency-");
        var path = Path.Combine(directory.FullName, "m.safetensors");
        Exception? secondFit = null;
        Exception? otherThreadSave = null;
        var sameThreadPredictions = 0L;
        var callback = new LambdaCallback
        {
            BatchBegin = e =>
            {
                if (e.Batch == 1)
                {
                    secondFit = OnOtherThread(() => e.Model.Fit(train));
                    otherThreadSave = OnOtherThread(() => e.Model.Save(path));
                    using var p = e.Model.Predict(input);
                    sameThreadPredictions = p.shape[0];
                    e.Model.Save(path);
                }
            },
        };

        try
        {
            model.Fit(train, new FitOptions { Epochs = 1, Callbacks = [callback] });

            Assert.Contains("Fit was called while", Assert.IsType<InvalidOperationException>(secondFit).Message);
            Assert.Contains("Save was called while", Assert.IsType<InvalidOperationException>(otherThreadSave).Message);
            Assert.Equal(2, sameThreadPredictions);
            Assert.True(File.Exists(path));
            Assert.Equal(2, model.GetOptimizer().Iterations);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Fit_WhilePredictRunsOnAnotherThread_ThrowsInvalidOperation()
    {
        using var model = TrainingTestData.TinyModel(23).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var source = new BlockingSource(train, entered, release);
        var prediction = Task.Run(() => model.Predict(source).Dispose());
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));

        try
        {
            var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(train));
            Assert.Contains("Predict runs on another thread", ex.Message);
        }
        finally
        {
            release.Set();
            await prediction;
        }

        Assert.Single(model.Fit(train).Epochs);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a new thread and waits for it. Not <c>Task.Run(…).GetResult()</c>: a task
    /// that has not started yet when it is waited on may run inline on the waiting thread (busy thread pool), which
    /// would make the "another thread" under test the same thread.
    /// </summary>
    private static Exception? OnOtherThread(Action action)
    {
        Exception? result = null;
        var thread = new Thread(() => result = Record(action));
        thread.Start();
        thread.Join();
        return result;
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>Runs <paramref name="work"/> <see cref="Rounds"/> times on each of <see cref="Threads"/> threads started together; results in thread-major order.</summary>
    private static List<Tensor> RunConcurrently(Func<int, Tensor> work)
    {
        using var start = new Barrier(Threads);
        var tasks = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                var outputs = new List<Tensor>();
                for (var r = 0; r < Rounds; r++)
                {
                    outputs.Add(work(t));
                }

                return outputs;
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        Task.WaitAll(tasks);
        return [.. tasks.SelectMany(t => t.Result)];
    }

    private static List<Tensor> RunConcurrently(Func<Tensor> work) => RunConcurrently(_ => work());

    private static Model ConvModel(double dropout)
    {
        var builder = new SequentialBuilder(12, 12, 3).WithSeed(4)
            .AddConv2D(6, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddFlatten()
            .AddDense(16, Activation.ReLU);
        if (dropout > 0)
        {
            builder.AddDropout(dropout);
        }

        return builder.AddDense(3, Activation.Softmax).Build();
    }

    private static Tensor Input(int count, int seed) => rand([count, 3, 12, 12], generator: new Generator().manual_seed(seed));

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        using (actual)
        {
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.allclose(actual, rtol: 1e-5, atol: 1e-6), "A concurrent result differs from the sequential one.");
        }
    }

    /// <summary>Yields the first batch of a source, then waits until released (so a Predict stays in progress).</summary>
    private sealed class BlockingSource(ConvViz.Data.IBatchSource inner, ManualResetEventSlim entered, ManualResetEventSlim release) : ConvViz.Data.IBatchSource
    {
        public int SampleCount => inner.SampleCount;

        public int BatchSize => inner.BatchSize;

        public int BatchesPerEpoch => inner.BatchesPerEpoch;

        public IReadOnlyList<string> ClassNames => inner.ClassNames;

        public ConvViz.Data.ClassMode ClassMode => inner.ClassMode;

        public ConvViz.Imaging.ImagePreprocessing Preprocessing => inner.Preprocessing;

        public IEnumerable<ConvViz.Data.Batch> GetBatches(int epoch, CancellationToken cancellationToken = default)
        {
            foreach (var batch in inner.GetBatches(epoch, cancellationToken))
            {
                yield return batch;
                entered.Set();
                release.Wait(cancellationToken);
            }
        }
    }
}
