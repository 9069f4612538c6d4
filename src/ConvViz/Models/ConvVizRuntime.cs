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

    /// <summary>Gets the global seed set by <see cref="Seed"/>, or <see langword="null"/> when none is set (the default).</summary>
    public static int? GlobalSeed => SeedStore.Seed;

    /// <summary>
    /// Sets one global seed for the whole process, like R keras' <c>use_session_with_seed(42)</c>: it seeds libtorch's
    /// global generator (<c>torch.manual_seed</c>) and becomes the source of every seed you leave unset:
    /// <list type="bullet">
    /// <item><description>weight initialization of <see cref="SequentialBuilder.Build"/> without <see cref="SequentialBuilder.WithSeed"/>;</description></item>
    /// <item><description>shuffling, augmentation draws and saved-file names of an <see cref="Data.ImageFolderDataset"/> without <see cref="Data.ImageFolderDatasetOptions.Seed"/>,
    /// and the shuffle of an <see cref="Data.InMemoryDataset"/> created without a seed;</description></item>
    /// <item><description>the augmentation draws of <see cref="Augmentation.Augmenter.Fit"/> without a seed, and the split shuffle of new
    /// <see cref="Data.DatasetSplitOptions"/>;</description></item>
    /// <item><description>Dropout in <c>Fit</c> without <c>FitOptions.Seed</c> (one fit seed, the same for every fit, so a resumed fit repeats an
    /// uninterrupted one);</description></item>
    /// <item><description>the noise of new <c>SmoothGradOptions</c> and <c>ActivationMaximizationOptions</c> whose <c>Seed</c> is not set.</description></item>
    /// </list>
    /// Each of these draws its seeds in order from its own sequence (the global seed, the component, the n-th draw),
    /// so the first model built gets one seed and the second another, and a seed you set explicitly always wins.
    /// Calling <see cref="Seed"/> again restarts every sequence.
    /// </summary>
    /// <remarks>
    /// <para><b>What it makes reproducible.</b> The same program, run again with the same seed in a process with the
    /// same number of libtorch threads (<see cref="SetThreads"/>), on the CPU, with the same ConvViz, TorchSharp and
    /// libtorch versions on the same kind of CPU, gives bit-identical weights, shuffles, augmented images, Dropout
    /// masks, training history and attribution noise. So does a second run in the same process after calling
    /// <see cref="Seed"/> again. The number of data-loading workers does not matter (every image's augmentation has its
    /// own seed).</para>
    /// <para><b>What it does not.</b> Runs with a different thread count (sums are split differently), on CUDA (some of
    /// its kernels are not deterministic), with bfloat16 on a different CPU, or with other library versions may differ
    /// in the last bits, and those differences grow during training. Objects created in a different order (or from
    /// several threads at once) get different seeds from the sequences. Random numbers drawn outside ConvViz
    /// (<see cref="Random.Shared"/>, your own <c>torch.rand</c> calls, which also move libtorch's global generator
    /// used by layers you run yourself) are not covered, and explicit seeds are kept as they are.</para>
    /// </remarks>
    /// <param name="seed">The seed.</param>
    /// <exception cref="NativeBackendMissingException">TorchSharp's native backend cannot be loaded.</exception>
    public static void Seed(int seed)
    {
        NativeBackend.EnsureLoaded();
        SeedStore.Set(seed);
        torch.manual_seed(seed);
    }

    /// <summary>
    /// Clears the global seed set by <see cref="Seed"/>: unset seeds are again chosen as without it (TorchSharp's
    /// global generator for weights, a random seed for image-folder datasets, 0 elsewhere). libtorch's global generator
    /// is left where it is.
    /// </summary>
    public static void ClearSeed() => SeedStore.Set(null);

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
