// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Training;

namespace ConvViz.Benchmarks;

/// <summary>
/// The blog's training run on a real JPEG folder, timed: its model, 150×150 input, rescale 1/255, its augmentation,
/// batch 50, binary cross-entropy with Adamax, <c>validation_steps = 10</c>, with the default data pipeline (one worker,
/// decoded-image cache). Prints every epoch's time and validation accuracy and stops at the first epoch whose
/// validation accuracy reaches the target. Usage: <c>blog-run --data DIR [--precision float32|bfloat16]
/// [--target 0.95] [--max-epochs 30] [--json out.json]</c>, DIR holding <c>train/</c> and <c>validation/</c> class folders
/// (<c>benchmarks/compare/make-fashion-jpegs.py</c> writes one).
/// </summary>
internal static class BlogRun
{
    public static int Run(string[] args)
    {
        string? data = null, json = null;
        var precision = Precision.Float32;
        var target = 0.95;
        var maxEpochs = 30;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--data": data = args[++i]; break;
                case "--precision": precision = Enum.Parse<Precision>(args[++i], ignoreCase: true); break;
                case "--target": target = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--max-epochs": maxEpochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--json": json = args[++i]; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        if (data is null)
        {
            throw new ArgumentException("blog-run needs --data DIR with train/ and validation/ class folders (see benchmarks/compare/make-fashion-jpegs.py).");
        }

        TorchSharp.torch.set_num_threads(2);
        ConvVizRuntime.Seed(42);
        using var train = new ImageFolderDataset(new ImageFolderDatasetOptions
        {
            Directory = Path.Combine(data, "train"),
            Preprocessing = BlogData.Preprocessing,
            ClassMode = ClassMode.Categorical,
            BatchSize = Blog.BatchSize,
            Augmenter = new Augmenter(BlogData.Augmentation),
        });
        using var validation = new ImageFolderDataset(new ImageFolderDatasetOptions
        {
            Directory = Path.Combine(data, "validation"),
            Preprocessing = BlogData.Preprocessing,
            ClassMode = ClassMode.Categorical,
            BatchSize = Blog.BatchSize,
        });
        using var model = Blog.CreateModel();
        model.Compile(new CompileOptions { Loss = Loss.BinaryCrossentropy, Optimizer = OptimizerOptions.Adamax(0.001), Metrics = [Metric.Accuracy], Precision = precision });

        var epochs = new JsonArray();
        var clock = Stopwatch.StartNew();
        var epochClock = new Stopwatch();
        double? reachedAt = null;
        var callback = new LambdaCallback
        {
            EpochBegin = _ => epochClock.Restart(),
            EpochEnd = e =>
            {
                var accuracy = e.Logs["val_accuracy"];
                var elapsed = clock.Elapsed.TotalSeconds;
                epochs.Add(new JsonObject { ["epoch"] = e.Epoch + 1, ["seconds"] = Math.Round(epochClock.Elapsed.TotalSeconds, 2), ["elapsed"] = Math.Round(elapsed, 1), ["accuracy"] = Math.Round(e.Logs["accuracy"], 4), ["val_accuracy"] = Math.Round(accuracy, 4) });
                Console.WriteLine(FormattableString.Invariant($"epoch {e.Epoch + 1}: {epochClock.Elapsed.TotalSeconds:F1} s, accuracy {e.Logs["accuracy"]:F4}, val_accuracy {accuracy:F4}, {elapsed:F0} s so far"));
                if (accuracy >= target && reachedAt is null)
                {
                    reachedAt = elapsed;
                    e.RequestStop();
                }
            },
        };
        model.Fit(train, new FitOptions { Epochs = maxEpochs, ValidationData = validation, ValidationSteps = 10, Callbacks = [callback], Verbosity = TrainingVerbosity.Silent });

        var result = new JsonObject
        {
            ["precision"] = precision.ToString(),
            ["train_images"] = train.SampleCount,
            ["validation_images_per_epoch"] = 10 * Blog.BatchSize,
            ["target_val_accuracy"] = target,
            ["seconds_to_target"] = reachedAt is { } r ? Math.Round(r, 1) : null,
            ["epochs"] = epochs,
            ["cpu"] = CpuName(),
            ["date"] = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture),
        };
        Console.WriteLine(reachedAt is { } s
            ? FormattableString.Invariant($"{precision}: val_accuracy {target} reached after {epochs.Count} epochs, {s:F0} s")
            : FormattableString.Invariant($"{precision}: val_accuracy {target} not reached in {maxEpochs} epochs"));
        if (json is not null)
        {
            File.WriteAllText(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        return 0;
    }

    private static string CpuName() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : "unknown";
}
