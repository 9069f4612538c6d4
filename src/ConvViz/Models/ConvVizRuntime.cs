// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using TorchSharp;

namespace ConvViz.Models;

/// <summary>Process-wide settings of the libtorch runtime that ConvViz models run on.</summary>
public static class ConvVizRuntime
{
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
