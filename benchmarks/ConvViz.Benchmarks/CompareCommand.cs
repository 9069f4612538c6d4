// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvViz.Inspection;
using ConvViz.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>
/// The ConvViz half of <c>benchmarks/compare/run.sh</c>: the same measurements as <c>compare.py</c> does in PyTorch,
/// written as JSON with the same keys.
/// </summary>
/// <remarks>
/// Usage: <c>compare [--json out.json] [--threads 2] [--batch 50] [--budget 10] [--workers 1] [--cache]
/// [--sections train,infer,activation,epoch,memory] [--precision float32|bfloat16] [--layout channelslast|channelsfirst] [--data DIR] [--memory-data DIR] [--memory-epochs 20]</c>.
/// </remarks>
internal static partial class CompareCommand
{
    public static int Run(string[] args)
    {
        var options = CompareOptions.Parse(args);
        torch.set_num_threads(options.Threads);
        var result = new JsonObject
        {
            ["engine"] = "convviz",
            ["threads"] = options.Threads,
            ["batch"] = options.Batch,
            ["torch_threads"] = torch.get_num_threads(),
        };

        manual_seed(42);
        using var model = BlogData.CompiledModel(options.Precision);
        model.Layout = options.Layout;
        result["precision"] = options.Precision.ToString();
        result["layout"] = options.Layout.ToString();
        result["allocator"] = ConvVizRuntime.AllocatorTuning.ToString();
        var cpuStart = CpuTimes.Now();
        Log($"ConvViz compare: {options.Threads} libtorch threads, batch {options.Batch}, budget {options.Budget} s per measurement");
        if (options.Has("train"))
        {
            result["train_step"] = TrainStep(model, options);
        }

        if (options.Has("infer"))
        {
            result["inference"] = Inference(model, options);
        }

        if (options.Has("activation"))
        {
            result["activation"] = Activation(model, options);
        }

        if (options.Has("epoch"))
        {
            Epochs(model, options, result);
        }

        if (options.Has("memory"))
        {
            result["memory"] = Memory(model, options);
        }

        var cpu = CpuTimes.Now() - cpuStart;
        result["cpu"] = new JsonObject
        {
            ["user_s"] = Round(cpu.User),
            ["system_s"] = Round(cpu.System),
            ["system_share"] = Round(cpu.System / Math.Max(1e-9, cpu.User + cpu.System)),
        };
        var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        if (options.JsonPath is { } path)
        {
            File.WriteAllText(path, json);
        }

        Console.WriteLine(json);
        return 0;
    }

    internal static void Log(string message) => Console.Error.WriteLine($"[convviz {DateTime.UtcNow:HH:mm:ss}] {message}");

    private static JsonObject Inference(Model model, CompareOptions options)
    {
        using var x = rand(options.Batch, 3, Blog.Size, Blog.Size);
        model.Module.eval();
        var r = Measure.Repeat(
            () =>
            {
                using var scope = NewDisposeScope();
                using var mode = inference_mode();
                _ = model.Forward(x).sum().item<float>();
            },
            options.Budget);
        return Report(r, options.Batch, "forward in evaluation mode under inference_mode");
    }

    private static JsonObject Activation(Model model, CompareOptions options)
    {
        using var x = rand(1, 3, Blog.Size, Blog.Size);
        model.Module.eval();
        var layer = IntermediateModel.From(model, Blog.ActivationLayer);
        var full = Measure.Repeat(
            () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                _ = model.Forward(x).sum().item<float>();
            },
            options.Budget / 4,
            warmup: 5,
            minRuns: 20);
        var partial = Measure.Repeat(
            () =>
            {
                using var scope = NewDisposeScope();
                _ = layer.Predict(x).sum().item<float>();
            },
            options.Budget / 4,
            warmup: 5,
            minRuns: 20);
        var layers = model.Layers.Where(l => l.OutputShape.IsSpatial).Select(l => l.Index).ToArray();
        var all = IntermediateModel.FromFeatureMapLayers(model);
        var onePass = Measure.Repeat(
            () =>
            {
                using var set = all.Run(x);
            },
            options.Budget / 4,
            warmup: 3,
            minRuns: 10);
        var perLayer = Measure.Repeat(
            () =>
            {
                foreach (var i in layers)
                {
                    using var a = IntermediateModel.From(model, i).Predict(x);
                }
            },
            options.Budget / 4,
            warmup: 3,
            minRuns: 10);
        return new JsonObject
        {
            ["batch"] = 1,
            ["layer"] = Blog.ActivationLayer,
            ["feature_map_layers"] = layers.Length,
            ["all_layers_one_pass_ms"] = Round(onePass.MedianMs),
            ["all_layers_per_layer_ms"] = Round(perLayer.MedianMs),
            ["all_layers_speedup"] = Round(perLayer.MedianMs / onePass.MedianMs),
            ["full_forward_ms"] = Round(full.MedianMs),
            ["layer_ms"] = Round(partial.MedianMs),
            ["speedup"] = Round(full.MedianMs / partial.MedianMs),
            ["full_forward_min_ms"] = Round(full.MinMs),
            ["layer_min_ms"] = Round(partial.MinMs),
            ["note"] = "IntermediateModel.From(model, 5).Predict vs model.Forward under no_grad, one 150x150 image",
        };
    }

    internal static JsonObject Report(Measure.Result r, int batch, string note) => new()
    {
        ["runs"] = r.Runs,
        ["median_ms"] = Round(r.MedianMs),
        ["mean_ms"] = Round(r.MeanMs),
        ["min_ms"] = Round(r.MinMs),
        ["img_per_s"] = Round(batch * 1000.0 / r.MedianMs),
        ["note"] = note,
    };

    internal static double Round(double value) => Math.Round(value, 3);

    internal sealed class CompareOptions
    {
        public string? JsonPath { get; private set; }

        public string? DataDir { get; private set; }

        public string? MemoryDataDir { get; private set; }

        public int Threads { get; private set; } = 2;

        public int Batch { get; private set; } = Blog.BatchSize;

        public double Budget { get; private set; } = 10;

        public int MemoryEpochs { get; private set; } = 20;

        public int Workers => WorkerSettings[0];

        /// <summary>Gets the worker counts whose end-to-end epochs the epoch section compares (<c>--workers 1,0</c>).</summary>
        public int[] WorkerSettings { get; private set; } = [1];

        public bool CacheImages { get; private set; } = true;

        public int EpochRounds { get; private set; } = 3;

        public Precision Precision { get; private set; } = Precision.Float32;

        public MemoryLayout Layout { get; private set; } = MemoryLayout.ChannelsLast;

        public HashSet<string> Sections { get; private set; } = new(["train", "infer", "activation", "epoch", "memory"], StringComparer.Ordinal);

        public bool Has(string section) => Sections.Contains(section);

        public static CompareOptions Parse(string[] args)
        {
            var o = new CompareOptions();
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--json": o.JsonPath = Next(); break;
                    case "--data": o.DataDir = Next(); break;
                    case "--memory-data": o.MemoryDataDir = Next(); break;
                    case "--threads": o.Threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--batch": o.Batch = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--budget": o.Budget = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--memory-epochs": o.MemoryEpochs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--workers": o.WorkerSettings = [.. Next().Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture))]; break;
                    case "--cache": o.CacheImages = true; break;
                    case "--no-cache": o.CacheImages = false; break;
                    case "--epoch-rounds": o.EpochRounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--precision": o.Precision = Enum.Parse<Precision>(Next(), ignoreCase: true); break;
                    case "--layout": o.Layout = Enum.Parse<MemoryLayout>(Next(), ignoreCase: true); break;
                    case "--sections": o.Sections = new(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal); break;
                    default: throw new ArgumentException($"Unknown option {args[i]}.");
                }
            }

            return o;
        }
    }
}
