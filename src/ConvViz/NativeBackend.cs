// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;
using TorchSharp;

namespace ConvViz;

/// <summary>
/// Loads TorchSharp's native backend once and turns loader failures into one actionable exception.
/// </summary>
internal static class NativeBackend
{
    private static readonly Lock s_gate = new();
    private static volatile bool s_loaded;

    /// <summary>Gets a value indicating whether libtorch has been loaded by ConvViz in this process.</summary>
    public static bool IsLoaded => s_loaded;

    /// <summary>Ensures libtorch is loaded; call at every public entry point that touches tensors.</summary>
    /// <exception cref="NativeBackendMissingException">The native backend cannot be loaded.</exception>
    public static void EnsureLoaded()
    {
        if (s_loaded)
        {
            return;
        }

        lock (s_gate)
        {
            if (s_loaded)
            {
                return;
            }

            // Before the first tensor: glibc's settings only affect allocations made after them.
            var tuning = NativeAllocator.EnsureApplied(RuntimeSettings.TuneAllocator);
            RuntimeLog.AllocatorTuning(RuntimeSettings.Logger, tuning, NativeAllocator.EnvironmentVariable);
            try
            {
                // Forces TorchSharp's static initialisation, which loads LibTorchSharp and libtorch.
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception ex) when (ex is DllNotFoundException or NotSupportedException or TypeInitializationException or BadImageFormatException or EntryPointNotFoundException)
            {
                throw new NativeBackendMissingException(BuildMessage(ex), ex);
            }

            if (ConvolutionPath.DisableNnpack() is { } reason)
            {
                RuntimeLog.NnpackUntouched(RuntimeSettings.Logger, reason);
            }

            s_loaded = true;
        }
    }

    internal static string BuildMessage(Exception? cause)
    {
        var backendPresent = FindNative("torch_cpu") is not null;
        var loaderError = ProbeLoaderError();
        string message;
        if (!backendPresent)
        {
            message =
                "ConvViz could not load TorchSharp's native backend (libtorch): the application references no backend package. " +
                "Add exactly one to your application project: " +
                "'dotnet add package libtorch-cpu-linux-x64 --version 2.10.0' (Linux x64, CPU), " +
                "'libtorch-cpu-win-x64' (Windows x64, CPU), 'libtorch-cpu-osx-arm64' (macOS arm64, CPU), " +
                "'TorchSharp-cpu' (CPU, all platforms) or 'TorchSharp-cuda-linux' / 'TorchSharp-cuda-windows' (NVIDIA GPUs). " +
                "The ConvViz package itself references only the managed 'TorchSharp' package.";
        }
        else
        {
            message = "ConvViz could not load TorchSharp's native backend (libtorch): the backend package is present, but its native libraries failed to load.";
        }

        var detail = loaderError ?? FirstLine(cause);
        if (detail.Contains("GLIBCXX", StringComparison.Ordinal))
        {
            message += " The system's libstdc++ is too old: libtorch 2.10 needs libstdc++ from GCC 13 or newer " +
                       "(Ubuntu 24.04+, Debian 13+, Fedora 39+, Windows x64, macOS arm64). On older Linux hosts run in a newer " +
                       "container, or use the ConvViz repository's eng/run-with-libtorch.sh.";
        }

        if (detail.Length > 0)
        {
            message += " Loader error: " + detail;
        }

        return message;
    }

    private static string FirstLine(Exception? ex)
    {
        var innermost = ex;
        while (innermost?.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return innermost is null ? string.Empty : innermost.Message.Split('\n', 2)[0].Trim();
    }

    /// <summary>Loads LibTorchSharp directly to obtain the operating system's loader message (for example a missing GLIBCXX version).</summary>
    private static string? ProbeLoaderError()
    {
        var path = FindNative("LibTorchSharp");
        if (path is null)
        {
            return null;
        }

        try
        {
            var handle = NativeLibrary.Load(path);
            NativeLibrary.Free(handle);
            return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            var text = string.Join(' ', ex.Message.Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return text.Length > 800 ? text[..800] + "…" : text;
        }
    }

    internal static string? FindNative(string name)
    {
        var baseDir = AppContext.BaseDirectory;
        string[] dirs =
        [
            baseDir,
            Path.Combine(baseDir, "cpu"),
            Path.Combine(baseDir, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"),
        ];
        string[] files = [$"lib{name}.so", $"{name}.dll", $"lib{name}.dylib"];
        foreach (var dir in dirs)
        {
            foreach (var file in files)
            {
                var candidate = Path.Combine(dir, file);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
