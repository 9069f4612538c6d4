// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz;

/// <summary>What ConvViz did to the C allocator when libtorch was first loaded (see <c>ConvVizRuntime.Allocator</c>).</summary>
public enum AllocatorTuningStatus
{
    /// <summary>Nothing has been decided yet: no ConvViz call has loaded libtorch.</summary>
    NotYetLoaded = 0,

    /// <summary>The glibc settings were applied: freed tensor memory is kept for reuse instead of being unmapped.</summary>
    Applied,

    /// <summary>Turned off by <c>ConvVizRuntime.TuneAllocator = false</c>.</summary>
    DisabledByOption,

    /// <summary>Turned off by the environment variable <c>CONVVIZ_TUNE_ALLOCATOR=0</c>.</summary>
    DisabledByEnvironment,

    /// <summary>Left alone because the process already chose its allocator settings: <c>GLIBC_TUNABLES</c> sets a malloc tunable, or <c>LD_PRELOAD</c> loads jemalloc, tcmalloc or mimalloc.</summary>
    CustomAllocator,

    /// <summary>Not applicable: the process does not run on Linux with glibc (Windows, macOS, musl).</summary>
    NotApplicable,

    /// <summary>glibc refused one of the settings (<c>mallopt</c> returned 0); the defaults stay in force.</summary>
    Failed,
}
