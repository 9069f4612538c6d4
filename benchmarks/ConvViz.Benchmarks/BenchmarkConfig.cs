// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ConvViz.Benchmarks;

/// <summary>
/// In-process runs (libtorch natives are found next to this assembly) with the memory diagnoser on. The default job
/// runs each benchmark few times: one call takes from milliseconds (decode) to tens of seconds (an epoch).
/// <c>--job dry</c> (one call each) replaces it from the command line.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        Add(DefaultConfig.Instance);
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(2)
            .WithMinIterationCount(5)
            .WithMaxIterationCount(15)
            .AsDefault());
        AddDiagnoser(MemoryDiagnoser.Default);
        WithOptions(ConfigOptions.JoinSummary);
    }
}
