// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Tests.Performance;

/// <summary>The glibc allocator setting: decided once from the option and the environment, applied before the first tensor, honoured.</summary>
public sealed class AllocatorTuningTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Decide_Default_Applies()
    {
        Assert.Equal(AllocatorTuningStatus.Applied, NativeAllocator.Decide(true, Env(), isGlibcLinux: true));
    }

    [Fact]
    public void Decide_OptionOff_DoesNothing()
    {
        Assert.Equal(AllocatorTuningStatus.DisabledByOption, NativeAllocator.Decide(false, Env(), isGlibcLinux: true));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("false")]
    [InlineData("OFF")]
    [InlineData(" no ")]
    public void Decide_EnvironmentOff_DoesNothing(string value)
    {
        Assert.Equal(AllocatorTuningStatus.DisabledByEnvironment, NativeAllocator.Decide(true, Env((NativeAllocator.EnvironmentVariable, value)), isGlibcLinux: true));
    }

    [Theory]
    [InlineData("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=1048576")]
    [InlineData("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2")]
    [InlineData("LD_PRELOAD", "/usr/lib/libtcmalloc_minimal.so.4")]
    public void Decide_ProcessChoseItsOwnAllocator_LeavesItAlone(string variable, string value)
    {
        Assert.Equal(AllocatorTuningStatus.CustomAllocator, NativeAllocator.Decide(true, Env((variable, value)), isGlibcLinux: true));
    }

    [Fact]
    public void Decide_NotGlibc_DoesNothing()
    {
        Assert.Equal(AllocatorTuningStatus.NotApplicable, NativeAllocator.Decide(true, Env(), isGlibcLinux: false));
    }

    [Fact]
    public void Load_AppliesTheSettingOnce_AndLargeTensorsNoLongerComeFromFreshMmapPages()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the setting exists for glibc only; Decide_NotGlibc_DoesNothing covers the rest
        }

        NativeBackend.EnsureLoaded();
        Assert.Equal(AllocatorTuningStatus.Applied, ConvVizRuntime.AllocatorTuning);
        Assert.Equal(AllocatorTuningStatus.Applied, NativeAllocator.EnsureApplied(enabledByOption: false)); // decided once per process

        // 16 MiB: above glibc's default mmap threshold, below the 64 MiB heap size of a thread's arena (the tests run
        // on worker threads; beyond 64 MiB a worker thread's arena falls back to mmap whatever the threshold).
        var before = NativeAllocator.MappedBytes();
        using (var big = zeros(4L << 20))
        {
            var during = NativeAllocator.MappedBytes();
            Assert.True(during - before < 8L << 20, $"a 16 MiB tensor was served by mmap: mapped bytes went from {before} to {during}");
        }
    }

    [Fact]
    public void Load_OnAWorkerThread_LargeTensorsAreNotPageFaultedPageByPage()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // glibc's arenas and libtorch's huge-page switch exist on Linux only
        }

        NativeBackend.EnsureLoaded();

        // xunit runs tests on worker threads, so this process loaded libtorch on one.
        Assert.True(NativeAllocator.HugePagesRequested, "libtorch was loaded on a worker thread without asking for huge pages");
        Assert.Equal("1", NativeAllocator.NativeEnvironment(NativeAllocator.HugePagesVariable));
        if (!KernelGivesHugePagesWhenAsked())
        {
            return; // transparent huge pages are off in this kernel ("never"): nothing can be faster here
        }

        // 96 MiB on this worker thread is more than its glibc arena's 64 MiB heaps hold, so every allocation is a fresh
        // mapping: filling it faults 24,576 ordinary pages, or a few dozen huge ones. The fewest of three tries, so that
        // another thread's faults in the same moment cannot decide it.
        const long Elements = 24L << 20;
        var fewest = long.MaxValue;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var before = MinorFaults();
            using var big = empty(Elements);
            big.fill_(ConvViz.Scalars.One);
            fewest = Math.Min(fewest, MinorFaults() - before);
        }

        Assert.True(fewest < 24_576 / 4, $"filling a fresh 96 MiB tensor took {fewest} page faults");
    }

    /// <summary>Whether the kernel backs memory advised with MADV_HUGEPAGE by huge pages: a probe mapping's THPeligible line in /proc/self/smaps.</summary>
    private static bool KernelGivesHugePagesWhenAsked()
    {
        const nuint Length = 8 << 20;
        var probe = mmap(IntPtr.Zero, Length, 3 /* PROT_READ | PROT_WRITE */, 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */, -1, 0);
        Assert.NotEqual(new IntPtr(-1), probe);
        try
        {
            if (madvise(probe, Length, 14 /* MADV_HUGEPAGE */) != 0)
            {
                return false;
            }

            var inside = false;
            foreach (var line in File.ReadLines("/proc/self/smaps"))
            {
                var dash = line.IndexOf('-', StringComparison.Ordinal);
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (dash > 0 && space > dash && ulong.TryParse(line[..dash], System.Globalization.NumberStyles.HexNumber, null, out var start)
                    && ulong.TryParse(line[(dash + 1)..space], System.Globalization.NumberStyles.HexNumber, null, out var end))
                {
                    inside = (ulong)probe >= start && (ulong)probe < end;
                }
                else if (inside && line.StartsWith("THPeligible:", StringComparison.Ordinal))
                {
                    return line.EndsWith('1');
                }
            }

            return false;
        }
        finally
        {
            _ = munmap(probe, Length);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6")]
    private static extern IntPtr mmap(IntPtr address, nuint length, int protection, int flags, int descriptor, nint offset);

    [System.Runtime.InteropServices.DllImport("libc.so.6")]
    private static extern int madvise(IntPtr address, nuint length, int advice);

    [System.Runtime.InteropServices.DllImport("libc.so.6")]
    private static extern int munmap(IntPtr address, nuint length);

    /// <summary>The process's minor page faults so far (field 10 of /proc/self/stat).</summary>
    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void TuneAllocator_ChangedAfterLoad_ThrowsNamingTheEnvironmentVariable()
    {
        NativeBackend.EnsureLoaded();
        var current = ConvVizRuntime.TuneAllocator;
        ConvVizRuntime.TuneAllocator = current; // unchanged: allowed
        var ex = Assert.Throws<InvalidOperationException>(() => ConvVizRuntime.TuneAllocator = !current);
        Assert.Contains("CONVVIZ_TUNE_ALLOCATOR", ex.Message, StringComparison.Ordinal);
    }
}
