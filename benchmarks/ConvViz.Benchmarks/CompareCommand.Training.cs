// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Text.Json.Nodes;
using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>The parts of the comparison that go through ConvViz's data pipeline and <c>Fit</c>.</summary>
internal static partial class CompareCommand
{
    /// <summary>Training steps through <c>Model.Fit</c> on one in-memory batch, timed per batch by a callback.</summary>
    private static JsonObject TrainStep(Model model, CompareOptions options)
    {
        using var x = rand(options.Batch, 3, Blog.Size, Blog.Size);
        using var classes = randint(0, Blog.Classes, options.Batch);
        using var y = nn.functional.one_hot(classes, Blog.Classes).to_type(ScalarType.Float32);
        using var data = new InMemoryDataset(x, y, options.Batch);
        var warm = new StepTimer();
        model.Fit(data, new FitOptions { Epochs = 1, StepsPerEpoch = 2, Callbacks = [warm] });
        var perStep = warm.Times.Min() / 1000.0;
        var steps = (int)Math.Clamp(options.Budget / perStep, 3, 1000);
        var timer = new StepTimer();
        model.Fit(data, new FitOptions { Epochs = 1, StepsPerEpoch = steps, Callbacks = [timer] });
        var times = timer.Times.Order().ToArray();
        var median = times.Length % 2 == 1 ? times[times.Length / 2] : (times[(times.Length / 2) - 1] + times[times.Length / 2]) / 2;
        return Report(new Measure.Result(times.Length, median, times.Average(), times[0]), options.Batch,
            "Model.Fit on an in-memory batch (Keras categorical cross-entropy + accuracy, KerasOptimizer Adamax), OnBatchBegin..OnBatchEnd");
    }

    /// <summary>
    /// The end-to-end epoch from JPEGs against the pure-compute epoch of the same size. The first end-to-end epoch
    /// (which fills the decoded-image cache, when it is on) is reported on its own; then compute and end-to-end epochs
    /// alternate for <see cref="CompareOptions.EpochRounds"/> rounds, so that load drifts hit both alike.
    /// </summary>
    private static void Epochs(Model model, CompareOptions options, JsonObject result)
    {
        if (options.DataDir is not { } dir)
        {
            throw new ArgumentException("The epoch section needs --data DIR (a folder of class sub-folders of JPEGs).");
        }

        var folders = options.WorkerSettings.Select(w => BlogData.Folder(dir, w, cache: options.CacheImages)).ToArray();
        try
        {
            EpochsOf(model, options, folders, result);
        }
        finally
        {
            foreach (var folder in folders)
            {
                folder.Dispose();
            }
        }
    }

    private static void EpochsOf(Model model, CompareOptions options, ImageFolderDataset[] folders, JsonObject result)
    {
        var count = folders[0].SampleCount;
        using var images = rand(count, 3, Blog.Size, Blog.Size);
        using var classes = randint(0, Blog.Classes, count);
        using var labels = nn.functional.one_hot(classes, Blog.Classes).to_type(ScalarType.Float32);
        using var memory = new InMemoryDataset(images, labels, options.Batch, shuffle: true, seed: 7);
        var cpu = new Dictionary<IBatchSource, List<double>>();
        double Time(IBatchSource source)
        {
            var before = CpuTimes.Now();
            var sw = Stopwatch.StartNew();
            model.Fit(source, new FitOptions { Epochs = 1 });
            var used = CpuTimes.Now() - before;
            if (!cpu.TryGetValue(source, out var list))
            {
                cpu[source] = list = [];
            }

            list.Add(used.User + used.System);
            return sw.Elapsed.TotalSeconds;
        }

        static double Median(List<double> v)
        {
            var o = v.Order().ToArray();
            return o.Length % 2 == 1 ? o[o.Length / 2] : (o[(o.Length / 2) - 1] + o[o.Length / 2]) / 2;
        }

        Log($"pure-compute epoch (warm-up): {folders[0].BatchesPerEpoch} steps on in-memory tensors");
        Time(memory);
        var first = new double[folders.Length];
        for (var f = 0; f < folders.Length; f++)
        {
            Log($"first end-to-end epoch over {count} JPEGs, WorkerCount={options.WorkerSettings[f]}{(options.CacheImages ? " (fills the decoded-image cache)" : string.Empty)}");
            first[f] = Time(folders[f]);
        }

        var compute = new List<double>();
        var e2e = folders.Select(_ => new List<double>()).ToArray();
        for (var r = 0; r < options.EpochRounds; r++)
        {
            Log($"round {r + 1}/{options.EpochRounds}: compute epoch, then an end-to-end epoch per worker setting");
            compute.Add(Time(memory));
            for (var f = 0; f < folders.Length; f++)
            {
                e2e[f].Add(Time(folders[f]));
            }
        }

        // CPU seconds (user + system) of the process: on a machine shared with other work, wall times swing with the
        // load but the CPU time each epoch needs does not (much); e2e / compute CPU time is the wall ratio that a
        // quiet machine whose cores the compute epoch already fills would show.
        var computeCpu = Median(cpu[memory].Skip(1).ToList());
        var computeSeconds = Median(compute);
        result["compute_epoch"] = new JsonObject
        {
            ["images"] = count,
            ["seconds"] = Round(computeSeconds),
            ["img_per_s"] = Round(count / computeSeconds),
            ["cpu_seconds"] = Round(computeCpu),
            ["note"] = $"median of {compute.Count} Model.Fit epochs over an InMemoryDataset of the same size (shuffled)",
        };
        for (var f = 0; f < folders.Length; f++)
        {
            var suffix = f == 0 ? string.Empty : $"_workers{options.WorkerSettings[f]}";
            var e2eCpu = Median(cpu[folders[f]].Skip(1).ToList());
            var e2eSeconds = Median(e2e[f]);
            var ratios = new JsonArray();
            for (var r = 0; r < e2e[f].Count; r++)
            {
                ratios.Add(Round(e2e[f][r] / compute[r]));
            }

            result["e2e_first_epoch" + suffix] = new JsonObject
            {
                ["images"] = count,
                ["seconds"] = Round(first[f]),
                ["img_per_s"] = Round(count / first[f]),
                ["vs_compute"] = Round(first[f] / computeSeconds),
                ["note"] = options.CacheImages ? "the epoch that decodes every file and fills the cache" : "the first epoch (no cache)",
            };
            result["e2e_epoch" + suffix] = new JsonObject
            {
                ["images"] = count,
                ["seconds"] = Round(e2eSeconds),
                ["img_per_s"] = Round(count / e2eSeconds),
                ["vs_compute"] = Round(e2eSeconds / computeSeconds),
                ["vs_compute_per_round"] = ratios,
                ["cpu_seconds"] = Round(e2eCpu),
                ["cpu_vs_compute"] = Round(e2eCpu / computeCpu),
                ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a",
                ["cache"] = options.CacheImages,
                ["note"] = $"median of {e2e[f].Count} epochs, each in a round after a compute epoch: ImageFolderDataset (safe decode, nearest resize, Keras-order Augmenter, rescale) with WorkerCount={options.WorkerSettings[f]}, PrefetchBatches=2, CacheImages={options.CacheImages}, then Model.Fit",
            };
        }
    }

    private static JsonObject Memory(Model model, CompareOptions options)
    {
        if (options.MemoryDataDir is not { } dir)
        {
            throw new ArgumentException("The memory section needs --memory-data DIR.");
        }

        using var folder = BlogData.Folder(dir, options.Workers);
        Log($"memory: {options.MemoryEpochs} epochs over {folder.SampleCount} JPEGs");
        var probe = new RssProbe();
        model.Fit(folder, new FitOptions { Epochs = options.MemoryEpochs, Callbacks = [probe] });
        var rss = probe.Rss;
        double a = rss[Math.Min(1, rss.Count - 1)], b = rss[^1];
        var perEpoch = new JsonArray();
        foreach (var v in rss)
        {
            perEpoch.Add(Math.Round(v / 1048576.0, 1));
        }

        var managed = new JsonArray();
        foreach (var v in probe.ManagedHeap)
        {
            managed.Add(Math.Round(v / 1048576.0, 1));
        }

        return new JsonObject
        {
            ["images"] = folder.SampleCount,
            ["epochs"] = options.MemoryEpochs,
            ["rss_epoch2_mb"] = Math.Round(a / 1048576.0, 1),
            ["rss_last_mb"] = Math.Round(b / 1048576.0, 1),
            ["growth_pct"] = Math.Round((b - a) * 100.0 / a, 2),
            ["rss_per_epoch_mb"] = perEpoch,
            ["managed_heap_per_epoch_mb"] = managed,
            ["malloc_arena_max"] = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") ?? "default",
            ["note"] = "process RSS at the end of each epoch of Model.Fit over an ImageFolderDataset (workers are threads of this process)",
        };
    }

    private sealed class StepTimer : Callback
    {
        private readonly Stopwatch _watch = new();

        public List<double> Times { get; } = [];

        public override void OnBatchBegin(BatchEventArgs e) => _watch.Restart();

        public override void OnBatchEnd(BatchEventArgs e) =>
            Times.Add(_watch.Elapsed.TotalMilliseconds);
    }

    private sealed class RssProbe : Callback
    {
        public List<long> Rss { get; } = [];

        public List<long> ManagedHeap { get; } = [];

        public override void OnEpochEnd(EpochEventArgs e)
        {
            Rss.Add(ProcessMemory.ResidentBytes());
            ManagedHeap.Add(GC.GetGCMemoryInfo().HeapSizeBytes);
        }
    }
}
