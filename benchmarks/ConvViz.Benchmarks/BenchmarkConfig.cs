// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ConvViz.Benchmarks;

/// <summary>In-process runs (libtorch natives are found next to this assembly) with the memory diagnoser on.</summary>
public sealed class BenchmarkConfig : ManualConfig
{
    public BenchmarkConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault());
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
