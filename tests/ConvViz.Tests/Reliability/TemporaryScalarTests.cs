// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ConvViz.Augmentation;
using ConvViz.Models;
using ConvViz.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// The per-batch tensor math of the augmentation warp, the augmenter, the loss and the metrics run on two threads while
/// a third thread forces garbage collections and finalizers without pause. A TorchSharp <c>Scalar</c> that is only
/// referenced for the duration of a native call (an implicit <c>1</c>, <c>0.5</c> or <c>alpha</c>) can be finalized,
/// and its native memory freed, while libtorch still reads it; libtorch then fails with "Expected false to be true"
/// from <c>c10::Scalar::toDouble</c> or computes with a wrong constant. Every result is compared with the one
/// computed before the threads start.
/// </summary>
public sealed class TemporaryScalarTests(ITestOutputHelper output)
{
    /// <summary>Short run for CI: catches a gross regression (a hot path back on temporary scalars) only sometimes.</summary>
    [Fact]
    public void PerBatchMath_UnderConstantGarbageCollection_StaysCorrect_Short() => Run(iterations: 300);

    /// <summary>Long run (about a minute on 2 cores): <c>eng/soak.sh</c> selects it with <c>Category=Soak</c>.</summary>
    [Fact]
    [Trait("Category", "Soak")]
    public void PerBatchMath_UnderConstantGarbageCollection_StaysCorrect_Soak() => Run(iterations: 3000);

    private void Run(int iterations)
    {
        using var images = Images();
        var matrices = Matrices(images);
        var augmenter = new Augmenter(new AugmentationOptions
        {
            RotationRange = 20,
            ChannelShiftRange = 10,
            BrightnessRange = new AugmentationRange(0.8, 1.2),
            HorizontalFlip = true,
        });
        var parameters = augmenter.Draw(count: (int)images.shape[0], height: 24, width: 24, seed: 3);
        using var predictions = rand([8, 3], generator: new TorchSharp.torch.Generator(11)).softmax(-1);
        using var targets = eye(3)[tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 })];
        using var binaryPredictions = rand([8, 1], generator: new TorchSharp.torch.Generator(12));
        using var binaryTargets = tensor(new float[] { 0, 1, 1, 0, 1, 0, 0, 1 }).reshape(8, 1);

        // Made once: images.mul(255) in the loop would itself pass a temporary scalar.
        using var pixels = images.mul(Scalars.ByteMax);

        Tensor[] Compute()
        {
            var results = new List<Tensor>();
            foreach (var mode in Enum.GetValues<FillMode>())
            {
                results.Add(AffineSampler.Warp(images, matrices, mode, fillValue: 0.25));
            }

            results.Add(augmenter.Apply(pixels, parameters));
            results.Add(LossFunctions.PerSample(Loss.BinaryCrossentropy, binaryPredictions, binaryTargets));
            results.Add(LossFunctions.PerSample(Loss.CategoricalCrossentropy, predictions, targets));
            results.Add(MetricFunctions.PerSample(Metric.BinaryAccuracy, binaryPredictions, binaryTargets));
            return [.. results];
        }

        Tensor[] expected;
        using (var scope = NewDisposeScope())
        {
            expected = [.. Compute().Select(t => t.MoveToOuterDisposeScope())];
        }

        var failures = new ConcurrentQueue<string>();
        var done = 0;
        var collections = 0L;
        var completed = 0;
        var clock = Stopwatch.StartNew();
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref done) < 2)
            {
                // Gen-0 collections are cheap, so many happen per second; the temporaries are young and die in gen 0.
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            }
        }) { IsBackground = true };
        var workers = Enumerable.Range(0, 2).Select(w => new Thread(() =>
        {
            try
            {
                for (var i = 0; i < iterations && failures.IsEmpty; i++)
                {
                    Interlocked.Increment(ref completed);
                    using var scope = NewDisposeScope();
                    try
                    {
                        var actual = Compute();
                        for (var k = 0; k < actual.Length; k++)
                        {
                            if (!actual[k].allclose(expected[k], rtol: 1e-5, atol: 1e-6))
                            {
                                failures.Enqueue($"worker {w}, iteration {i}: result {k} differs");
                            }
                        }
                    }
                    catch (Exception e)
                    {
                        var site = e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("ConvViz.", StringComparison.Ordinal))?.Trim();
                        failures.Enqueue($"worker {w}, iteration {i}: {e.GetType().Name}: {e.Message.Split('\n')[0]} {site}");
                    }
                }
            }
            finally
            {
                Interlocked.Increment(ref done);
            }
        }) { IsBackground = true }).ToArray();

        collector.Start();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        collector.Join();
        foreach (var t in expected)
        {
            t.Dispose();
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Volatile.Read(ref completed)} of 2 × {iterations} iterations, {Interlocked.Read(ref collections)} forced collections, {clock.Elapsed.TotalSeconds:F1} s; failures: {failures.Count}"));
        foreach (var failure in failures.Take(10))
        {
            output.WriteLine(failure);
        }

        Assert.Empty(failures);
    }

    private static Tensor Images()
    {
        using var scope = NewDisposeScope();
        return rand([6, 3, 24, 24], generator: new TorchSharp.torch.Generator(7)).MoveToOuterDisposeScope();
    }

    private static double[] Matrices(Tensor images)
    {
        var batch = (int)images.shape[0];
        return [.. Enumerable.Range(0, batch).SelectMany(i => new AugmentationParameters
        {
            Rotation = 7 * (i + 1),
            ShiftX = i - 2.5,
            ShiftY = 1.5 - i,
            ZoomX = 0.8 + (0.1 * i),
            ZoomY = 1.2 - (0.05 * i),
        }.ToInverseMatrix(24, 24))];
    }
}
