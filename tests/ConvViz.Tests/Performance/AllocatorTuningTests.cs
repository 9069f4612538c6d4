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
    public void Load_OnAWorkerThread_AsksLibtorchForHugePages()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // glibc's arenas and libtorch's huge-page switch exist on Linux only
        }

        NativeBackend.EnsureLoaded();

        // xunit runs tests on worker threads, so this process loaded libtorch on one. How many page faults a fresh large
        // tensor then costs is not asserted here: libtorch reads the switch at its first allocation, which another test
        // may make through TorchSharp before ConvViz loads (measured instead by executor-vs-loop --worker-thread).
        Assert.True(NativeAllocator.HugePagesRequested, "libtorch was loaded on a worker thread without asking for huge pages");
        Assert.Equal("1", NativeAllocator.NativeEnvironment(NativeAllocator.HugePagesVariable));
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
