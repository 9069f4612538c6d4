// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>
/// The graph executor against the loop it replaced, in one process on the same modules: the blog model's training step
/// (forward, categorical cross-entropy, backward, Adamax step; batch 50, 150 × 150, channels-last, fp32) through
/// <c>Model.Module</c> (the graph executor, as <c>Fit</c> runs it) and through a TorchSharp <c>nn.Sequential</c> over the
/// same layer modules (what <c>Model</c> held before the graph core, commit a858963). The two alternate step by step
/// (A B B A …), so that load drifts on a shared machine hit both alike; the ratio of each adjacent pair is what the
/// bootstrap interval is computed from. Everything but the forward dispatch is the same code on the same tensors.
/// </summary>
internal static class ExecutorSideBySide
{
    private static readonly TorchSharp.Scalar s_epsilon = 1e-7f;

    /// <summary>Runs the side by side; with <c>--worker-thread</c>, on a new thread rather than the main thread (where libtorch is then first loaded too).</summary>
    public static int Run(string[] args)
    {
        if (!args.Contains("--worker-thread"))
        {
            return RunHere(args);
        }

        var result = 0;
        var worker = new Thread(() => result = RunHere([.. args.Where(a => a != "--worker-thread")]), 16 << 20);
        worker.Start();
        worker.Join();
        Console.WriteLine(FormattableString.Invariant($"(on a worker thread; libtorch asked for transparent huge pages: {NativeAllocator.HugePagesRequested})"));
        return result;
    }

    private static int RunHere(string[] args)
    {
        var pairs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        var batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Blog.BatchSize;
        using var model = Blog.CreateModel();
        model.Layout = MemoryLayout.ChannelsLast;
        var executor = model.Module;

        // The former network: the same module objects in a Sequential (not disposed here: it would dispose the model's layers).
        var sequential = nn.Sequential(model.LayerModules.Select(m => (m.GetName(), (nn.Module<Tensor, Tensor>)m)));
        executor.train();
        sequential.train();
        using var optimizer = optim.Adamax(executor.parameters());
        var generator = new Generator().manual_seed(1);
        using var x = rand([batch, 3, Blog.Size, Blog.Size], generator: generator).permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        using var labels = randint(0, Blog.Classes, [batch], generator: generator);
        using var target = nn.functional.one_hot(labels, Blog.Classes).to_type(ScalarType.Float32);

        double Step(nn.Module<Tensor, Tensor> network)
        {
            var start = Stopwatch.GetTimestamp();
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                var y = network.forward(x);
                var loss = y.clamp_min(s_epsilon).log().mul(target).sum(1).mean().neg();
                loss.backward();
                optimizer.step();
            }

            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        for (var i = 0; i < 5; i++)
        {
            Step(executor);
            Step(sequential);
        }

        var (a, b, ratios) = (new List<double>(), new List<double>(), new List<double>());
        for (var i = 0; i < pairs; i++)
        {
            double ta, tb;
            if (i % 2 == 0)
            {
                ta = Step(executor);
                tb = Step(sequential);
            }
            else
            {
                tb = Step(sequential);
                ta = Step(executor);
            }

            a.Add(ta);
            b.Add(tb);
            ratios.Add(ta / tb);
        }

        var random = new Random(7);
        var medians = new double[10_000];
        for (var r = 0; r < medians.Length; r++)
        {
            var sample = new List<double>(ratios.Count);
            for (var k = 0; k < ratios.Count; k++)
            {
                sample.Add(ratios[random.Next(ratios.Count)]);
            }

            medians[r] = Median(sample);
        }

        Array.Sort(medians);
        Console.WriteLine(FormattableString.Invariant(
            $"blog model training step, batch {batch}, {pairs} pairs: graph executor median {Median(a):F1} ms, Sequential loop (before the graph core) {Median(b):F1} ms; executor / loop: median of pair ratios {Median(ratios):F4} (95 % bootstrap {medians[250]:F4}–{medians[9749]:F4}), ratio of medians {Median(a) / Median(b):F4}"));
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
