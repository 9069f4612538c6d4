// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace ConvViz.Models;

/// <summary>Process-wide settings of the libtorch runtime that ConvViz models run on.</summary>
public static class ConvVizRuntime
{
    /// <summary>
    /// Gets or sets a value indicating whether ConvViz tunes glibc's allocator when it first loads libtorch (Linux
    /// with glibc only; elsewhere nothing happens). The tuning raises glibc's mmap and trim thresholds so that large
    /// tensor buffers are reused instead of being unmapped and page-faulted in again at every step, which on the blog's
    /// model took system time from 40% of the CPU to under 2%. The cost: memory freed by libtorch stays with the
    /// process, so its resident size stays at its peak. The environment variable <c>CONVVIZ_TUNE_ALLOCATOR=0</c> also
    /// turns it off, and it is skipped when <c>GLIBC_TUNABLES</c> sets a malloc tunable or <c>LD_PRELOAD</c> loads
    /// jemalloc, tcmalloc or mimalloc. Set it before the first ConvViz call; <see cref="AllocatorTuning"/> tells what happened.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    /// <exception cref="InvalidOperationException">The value is changed after libtorch was loaded.</exception>
    public static bool TuneAllocator
    {
        get => RuntimeSettings.TuneAllocator;
        set
        {
            if (value != RuntimeSettings.TuneAllocator && NativeBackend.IsLoaded)
            {
                throw new InvalidOperationException(
                    "ConvVizRuntime.TuneAllocator must be set before the first ConvViz call that loads libtorch: the allocator was already configured " +
                    $"({AllocatorTuning}). Set it at the start of Main, or set the environment variable CONVVIZ_TUNE_ALLOCATOR=0 before the process starts.");
            }

            RuntimeSettings.TuneAllocator = value;
        }
    }

    /// <summary>
    /// Gets a value indicating whether this CPU computes bfloat16 natively (AVX512_BF16 or AMX on x86, BF16 on Arm;
    /// read from /proc/cpuinfo on Linux). Only then does ConvViz accept <see cref="Precision.BFloat16"/> on the CPU:
    /// elsewhere libtorch emulates it and trains slower than float32.
    /// </summary>
    public static bool IsBFloat16Supported => PrecisionSupport.CpuHasBFloat16;

    /// <summary>Gets what ConvViz did to the C allocator when libtorch was loaded (<see cref="AllocatorTuningStatus.NotYetLoaded"/> before that).</summary>
    public static AllocatorTuningStatus AllocatorTuning => NativeAllocator.Status;

    /// <summary>
    /// Gets or sets the logger for process-wide runtime messages (the allocator setting, logged once when libtorch is
    /// loaded). Set it before the first ConvViz call to see that message.
    /// </summary>
    /// <value>The default value is <see cref="NullLogger.Instance"/>.</value>
    public static ILogger Logger
    {
        get => RuntimeSettings.Logger;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            RuntimeSettings.Logger = value;
        }
    }

    /// <summary>Gets the number of threads libtorch uses inside one operation (intra-op parallelism).</summary>
    /// <exception cref="NativeBackendMissingException">TorchSharp's native backend cannot be loaded.</exception>
    public static int Threads
    {
        get
        {
            NativeBackend.EnsureLoaded();
            return torch.get_num_threads();
        }
    }

    /// <summary>Gets a value indicating whether a CUDA device and a CUDA-enabled backend are available.</summary>
    /// <exception cref="NativeBackendMissingException">TorchSharp's native backend cannot be loaded.</exception>
    public static bool IsCudaAvailable
    {
        get
        {
            NativeBackend.EnsureLoaded();
            return torch.cuda.is_available();
        }
    }

    /// <summary>
    /// Gets the devices this process can compute on: always <see cref="ComputeDevice.Cpu"/>, and
    /// <see cref="ComputeDevice.Cuda"/> when a CUDA backend package is referenced and an NVIDIA GPU with its driver is
    /// present. <see cref="Model.To"/> throws a <see cref="NotSupportedException"/> that says what is missing for any other device.
    /// </summary>
    /// <exception cref="NativeBackendMissingException">TorchSharp's native backend cannot be loaded.</exception>
    public static IReadOnlyList<ComputeDevice> AvailableDevices => IsCudaAvailable ? [ComputeDevice.Cpu, ComputeDevice.Cuda] : [ComputeDevice.Cpu];

    /// <summary>
    /// Sets the number of threads libtorch uses inside one operation (<c>torch.set_num_threads</c>). The setting is
    /// process-wide; call it once at startup, before training. On small machines leave a core for image decoding:
    /// with 2 cores, 1 thread for libtorch and 1 for the data pipeline is usually fastest.
    /// </summary>
    /// <param name="count">The number of threads; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    /// <exception cref="NativeBackendMissingException">TorchSharp's native backend cannot be loaded.</exception>
    public static void SetThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        NativeBackend.EnsureLoaded();
        torch.set_num_threads(count);
    }
}
