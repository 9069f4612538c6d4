// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Runtime.InteropServices;

namespace ConvViz.Benchmarks;

/// <summary>User and system CPU seconds of this process (Linux /proc/self/stat; zeros elsewhere).</summary>
internal readonly record struct CpuTimes(double User, double System)
{
    public static CpuTimes operator -(CpuTimes a, CpuTimes b) => new(a.User - b.User, a.System - b.System);

    public static CpuTimes Now()
    {
        if (!File.Exists("/proc/self/stat"))
        {
            return default;
        }

        // Fields after the parenthesised command name: state is field 3, utime 14, stime 15 (clock ticks, 100 Hz on Linux).
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const double ticks = 100.0;
        return new CpuTimes(
            long.Parse(fields[11], CultureInfo.InvariantCulture) / ticks,
            long.Parse(fields[12], CultureInfo.InvariantCulture) / ticks);
    }

    /// <summary>
    /// Gets the CPU seconds the calling thread has run, with nanosecond resolution (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>;
    /// NaN elsewhere). Unlike wall time it does not grow while other processes hold the cores, so single-threaded
    /// kernels can be compared on a busy machine.
    /// </summary>
    /// <returns>Seconds.</returns>
    public static double ThreadSeconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }

        return ClockGetTime(3, out var spec) == 0 ? spec.Seconds + (spec.Nanoseconds * 1e-9) : double.NaN;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec spec);
}
