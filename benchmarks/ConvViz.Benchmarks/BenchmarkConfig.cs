// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ConvViz.Benchmarks;

/// <summary>
/// In-process runs (libtorch natives are found next to this assembly) with the memory diagnoser on.
/// The default job runs each benchmark 5–15 times after 2 warm-ups: one call takes from about a millisecond (decode)
/// to tens of seconds (an epoch). <c>--job dry|short|medium|long</c> picks BenchmarkDotNet's presets instead.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig(string? job = null)
    {
        Add(DefaultConfig.Instance);
        var baseJob = job?.ToLowerInvariant() switch
        {
            null or "" or "default" => Job.Default.WithWarmupCount(2).WithMinIterationCount(5).WithMaxIterationCount(15),
            "dry" => Job.Dry,
            "short" => Job.ShortRun,
            "medium" => Job.MediumRun,
            "long" => Job.LongRun,
            _ => throw new ArgumentException($"Unknown job '{job}': use dry, short, medium, long or default."),
        };
        // One epoch of the blog model takes tens of seconds on 2 vCPUs; the in-process default timeout (5 min per benchmark) is too short on a busy machine.
        AddJob(baseJob.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(60), logOutput: true)));
        AddDiagnoser(MemoryDiagnoser.Default);
    }

    /// <summary>Takes <c>--job X</c> / <c>-j X</c> out of the arguments (the job is built here, always in-process).</summary>
    public static (string? Job, string[] Remaining) ExtractJob(string[] args)
    {
        string? job = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--job" or "-j" && i + 1 < args.Length)
            {
                job = args[++i];
            }
            else if (args[i].StartsWith("--job=", StringComparison.Ordinal))
            {
                job = args[i]["--job=".Length..];
            }
            else if (args[i] is not ("--inProcess" or "-i"))
            {
                rest.Add(args[i]);
            }
        }

        return (job, [.. rest]);
    }
}
