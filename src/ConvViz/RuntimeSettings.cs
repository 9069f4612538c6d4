// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConvViz;

/// <summary>Process-wide settings read when libtorch is first loaded (exposed publicly by <c>ConvVizRuntime</c>).</summary>
internal static class RuntimeSettings
{
    public static bool TuneAllocator { get; set; } = true;

    public static ILogger Logger { get; set; } = NullLogger.Instance;
}

/// <summary>Log messages of the runtime (event ids 1000–1099).</summary>
internal static partial class RuntimeLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Allocator: glibc keeps freed tensor memory for reuse (mmap threshold and trim threshold raised, top pad 256 MiB), which avoids page-fault churn; RSS stays at its peak. Set {Variable}=0 or ConvVizRuntime.TuneAllocator = false to turn it off.")]
    private static partial void AllocatorApplied(ILogger logger, string variable);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Allocator: left at its defaults ({Status}).")]
    private static partial void AllocatorUntouched(ILogger logger, AllocatorTuningStatus status);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Allocator: glibc refused the settings (mallopt returned 0); training may spend much of its time in page faults. Setting a large glibc.malloc.mmap_threshold in GLIBC_TUNABLES before the process starts has the same effect.")]
    private static partial void AllocatorFailed(ILogger logger);

    /// <summary>Logs that NNPACK could not be switched off, so libtorch may still try it (and warn where it cannot start).</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="reason">Why the flag could not be reached.</param>
    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Convolution path: NNPACK left at libtorch's default ({Reason}).")]
    public static partial void NnpackUntouched(ILogger logger, string reason);

    /// <summary>Logs that oneDNN's prepacked and fused convolutions cannot be used, so inference keeps libtorch's eager convolutions.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="reason">Why they cannot be used.</param>
    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Convolution path: oneDNN's prepacked and fused convolutions are not available ({Reason}); inference uses libtorch's eager convolutions, with ReLU and residual additions in place.")]
    public static partial void OneDnnUnavailable(ILogger logger, string reason);

    /// <summary>Logs that a convolution configuration gave wrong values on this CPU and now runs another way (<see cref="Models.Layers.ConvolutionGuard"/>).</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="configuration">The configuration: input, kernel, window, type and layout.</param>
    /// <param name="route">How it runs from now on.</param>
    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Convolution path: libtorch's result for {Configuration} differs from its float64 reference on this CPU; that configuration now runs {Route}.")]
    public static partial void ConvolutionRerouted(ILogger logger, string configuration, string route);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Allocator: libtorch was first loaded on a worker thread, whose glibc arena maps tensors over 64 MiB with fresh pages at every step; its large tensors now use transparent huge pages ({Variable}=1), which cuts those page faults. Starting the process with MALLOC_ARENA_MAX=1 removes them.")]
    private static partial void AllocatorHugePages(ILogger logger, string variable);

    public static void AllocatorTuning(ILogger logger, AllocatorTuningStatus status, string variable)
    {
        if (NativeAllocator.HugePagesRequested)
        {
            AllocatorHugePages(logger, NativeAllocator.HugePagesVariable);
        }

        switch (status)
        {
            case AllocatorTuningStatus.Applied:
                AllocatorApplied(logger, variable);
                break;
            case AllocatorTuningStatus.Failed:
                AllocatorFailed(logger);
                break;
            default:
                AllocatorUntouched(logger, status);
                break;
        }
    }
}
