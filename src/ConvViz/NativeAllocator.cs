// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;

namespace ConvViz;

/// <summary>
/// Stops glibc from returning libtorch's large activation and gradient buffers to the kernel at every free. By
/// default glibc serves every allocation above its mmap threshold (128 KiB, adjusted up to 32 MiB) with fresh pages
/// and unmaps them on free, so each training step page-faults and zeroes hundreds of MB again: on the blog's model
/// that cost 40% of the CPU as system time. With the threshold raised, large buffers come from the heap and are
/// reused; the heap is not trimmed. The cost: freed memory stays with the process, so RSS stays at its peak.
/// </summary>
internal static class NativeAllocator
{
    /// <summary>The environment variable that turns the tuning off (<c>0</c>, <c>false</c>, <c>off</c> or <c>no</c>).</summary>
    public const string EnvironmentVariable = "CONVVIZ_TUNE_ALLOCATOR";

    // glibc's mallopt parameters (malloc.h).
    private const int MTrimThreshold = -1;
    private const int MTopPad = -2;
    private const int MMmapThreshold = -3;

    /// <summary>Allocations of any size come from the heap rather than from fresh mmap pages.</summary>
    internal const int MmapThreshold = int.MaxValue;

    /// <summary>The heap is never trimmed back to the kernel: the freed tail is reused by the next step.</summary>
    internal const int TrimThreshold = int.MaxValue;

    /// <summary>The heap grows in steps of 256 MiB, so a growing training step asks the kernel rarely.</summary>
    internal const int TopPad = 256 << 20;

    /// <summary>libtorch's switch for transparent huge pages on its CPU allocations of 2 MiB and more, read at its first allocation.</summary>
    public const string HugePagesVariable = "THP_MEM_ALLOC_ENABLE";

    private static readonly Lock s_gate = new();

    public static AllocatorTuningStatus Status { get; private set; }

    /// <summary>
    /// Gets a value indicating whether libtorch's large tensors were asked to use transparent huge pages: libtorch was
    /// first loaded on a thread other than the process's main thread (see <see cref="EnsureApplied"/>), and the process
    /// had not set <see cref="HugePagesVariable"/> itself.
    /// </summary>
    public static bool HugePagesRequested { get; private set; }

    /// <summary>Decides whether to tune, from the option and the environment; no side effects.</summary>
    internal static AllocatorTuningStatus Decide(bool enabledByOption, Func<string, string?> environment, bool isGlibcLinux)
    {
        if (!isGlibcLinux)
        {
            return AllocatorTuningStatus.NotApplicable;
        }

        if (!enabledByOption)
        {
            return AllocatorTuningStatus.DisabledByOption;
        }

        var flag = environment(EnvironmentVariable)?.Trim();
        if (flag is not null && (flag == "0" || flag.Equals("false", StringComparison.OrdinalIgnoreCase) ||
                                 flag.Equals("off", StringComparison.OrdinalIgnoreCase) || flag.Equals("no", StringComparison.OrdinalIgnoreCase)))
        {
            return AllocatorTuningStatus.DisabledByEnvironment;
        }

        var tunables = environment("GLIBC_TUNABLES") ?? string.Empty;
        var preload = environment("LD_PRELOAD") ?? string.Empty;
        if (tunables.Contains("glibc.malloc.", StringComparison.Ordinal) ||
            preload.Contains("jemalloc", StringComparison.OrdinalIgnoreCase) ||
            preload.Contains("tcmalloc", StringComparison.OrdinalIgnoreCase) ||
            preload.Contains("mimalloc", StringComparison.OrdinalIgnoreCase))
        {
            return AllocatorTuningStatus.CustomAllocator;
        }

        return AllocatorTuningStatus.Applied;
    }

    /// <summary>
    /// Applies the decision once per process; later calls return the first result. The settings reach glibc's main
    /// arena fully, but a thread other than the process's main thread allocates from an arena of its own, whose heaps
    /// are 64 MiB at most: a larger tensor (the blog model's second convolution at batch 50 is 65 MiB) is mapped with
    /// fresh pages and unmapped at every step whatever the settings, which made a notebook's training three times
    /// slower. Only an environment variable read at process start (<c>MALLOC_ARENA_MAX=1</c>) puts such a thread on the
    /// main arena. So when libtorch is first loaded on another thread (a notebook kernel, a web request, a
    /// <c>Task.Run</c>), libtorch is also asked to back its allocations of 2 MiB and more with transparent huge pages
    /// (<see cref="HugePagesVariable"/>, unless the process set it), which makes each such mapping cost a few dozen
    /// page faults instead of thousands. A process that loads libtorch on its main thread keeps ordinary pages, which
    /// measured slightly faster there.
    /// </summary>
    public static AllocatorTuningStatus EnsureApplied(bool enabledByOption)
    {
        lock (s_gate)
        {
            if (Status != AllocatorTuningStatus.NotYetLoaded)
            {
                return Status;
            }

            var decision = Decide(enabledByOption, Environment.GetEnvironmentVariable, IsGlibcLinux());
            if (decision == AllocatorTuningStatus.Applied)
            {
                try
                {
                    var ok = mallopt(MMmapThreshold, MmapThreshold) == 1
                             & mallopt(MTrimThreshold, TrimThreshold) == 1
                             & mallopt(MTopPad, TopPad) == 1;
                    decision = ok ? AllocatorTuningStatus.Applied : AllocatorTuningStatus.Failed;
                    HugePagesRequested = ok && !IsProcessMainThread() && RequestHugePages();
                }
                catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
                {
                    decision = AllocatorTuningStatus.NotApplicable;
                }
            }

            Status = decision;
            return decision;
        }
    }

    /// <summary>Bytes currently held in mmap'ed chunks (glibc <c>mallinfo2().hblkhd</c>), or −1 where unavailable. For tests and benchmarks.</summary>
    internal static long MappedBytes()
    {
        if (!IsGlibcLinux())
        {
            return -1;
        }

        try
        {
            return (long)mallinfo2().hblkhd;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }

    /// <summary>Whether the calling thread is the process's main thread (its thread id is the process id).</summary>
    private static bool IsProcessMainThread()
    {
        try
        {
            return gettid() == Environment.ProcessId;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return true; // no gettid (glibc before 2.30): leave the pages alone
        }
    }

    /// <summary>Sets <see cref="HugePagesVariable"/> to 1 in the native environment unless the process set it; returns whether it is 1.</summary>
    private static bool RequestHugePages()
    {
        // setenv does not replace a value the process chose (overwrite 0); the native environment is what libtorch reads.
        return setenv(HugePagesVariable, "1", 0) == 0 && Marshal.PtrToStringUTF8(getenv(HugePagesVariable)) == "1";
    }

    /// <summary>Reads <paramref name="name"/> from the native environment (what libtorch sees), or <see langword="null"/>.</summary>
    /// <param name="name">The variable.</param>
    /// <returns>Its value.</returns>
    internal static string? NativeEnvironment(string name) => IsGlibcLinux() ? Marshal.PtrToStringUTF8(getenv(name)) : null;

    private static bool IsGlibcLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return Marshal.PtrToStringUTF8(gnu_get_libc_version()) is { Length: > 0 };
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // musl and other C libraries have no gnu_get_libc_version
        }
    }

    [DllImport("libc.so.6", CallingConvention = CallingConvention.Cdecl)]
    private static extern int mallopt(int param, int value);

    [DllImport("libc.so.6", CallingConvention = CallingConvention.Cdecl)]
    private static extern IntPtr gnu_get_libc_version();

    [DllImport("libc.so.6", CallingConvention = CallingConvention.Cdecl)]
    private static extern int gettid();

    [DllImport("libc.so.6", CallingConvention = CallingConvention.Cdecl, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc.so.6", CallingConvention = CallingConvention.Cdecl, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern IntPtr getenv(string name);

    [DllImport("libc.so.6", CallingConvention = CallingConvention.Cdecl)]
    private static extern MallInfo2 mallinfo2();

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena;
        public nuint ordblks;
        public nuint smblks;
        public nuint hblks;
        public nuint hblkhd;
        public nuint usmblks;
        public nuint fsmblks;
        public nuint uordblks;
        public nuint fordblks;
        public nuint keepcost;
    }
}
