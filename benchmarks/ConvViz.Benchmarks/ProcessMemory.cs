// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;

namespace ConvViz.Benchmarks;

/// <summary>Resident set size of this process (native libtorch memory included, unlike GC counters).</summary>
internal static class ProcessMemory
{
    public static long ResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
