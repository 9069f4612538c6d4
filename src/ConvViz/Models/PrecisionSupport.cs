// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;

namespace ConvViz.Models;

/// <summary>Decides whether bfloat16 computation is fast on this machine and turns an unusable precision into an actionable exception.</summary>
internal static class PrecisionSupport
{
    private static readonly Lazy<bool> s_cpuHasBFloat16 = new(ProbeCpu);

    /// <summary>Replaces the CPU probe in tests (null: the real probe).</summary>
    internal static Func<bool>? CpuProbeOverride { get; set; }

    /// <summary>Gets a value indicating whether this CPU has bfloat16 arithmetic units.</summary>
    public static bool CpuHasBFloat16 => CpuProbeOverride?.Invoke() ?? s_cpuHasBFloat16.Value;

    /// <summary>Checks that <paramref name="precision"/> is usable on <paramref name="device"/>.</summary>
    /// <param name="precision">The requested precision.</param>
    /// <param name="device">The model's device.</param>
    /// <param name="option">The option's name for the message, for example <c>CompileOptions.Precision</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="Precision"/> member.</exception>
    /// <exception cref="NotSupportedException">bfloat16 was requested on a CPU without bfloat16 units.</exception>
    public static void Validate(Precision precision, ComputeDevice device, string option)
    {
        switch (precision)
        {
            case Precision.Float32:
                return;
            case Precision.BFloat16:
                if (device == ComputeDevice.Cpu && !CpuHasBFloat16)
                {
                    throw new NotSupportedException(
                        $"{option} is Precision.BFloat16, but this CPU has no bfloat16 units (no AVX512_BF16 or AMX on x86, no BF16 on Arm): " +
                        "libtorch would emulate bfloat16 and train slower than float32. Use Precision.Float32 (the default), or run on a CPU " +
                        "with bfloat16 support (Intel Cooper Lake or Sapphire Rapids and later, AMD Zen 4 and later, Arm v8.6+) or on CUDA.");
                }

                return;
            default:
                throw new ArgumentOutOfRangeException(option, precision,
                    $"{option} has the unknown value {(int)precision}; use Precision.Float32 or Precision.BFloat16.");
        }
    }

    /// <summary>Reads the CPU feature flags of /proc/cpuinfo. Outside Linux the flags are not read, and bfloat16 on the CPU is refused.</summary>
    private static bool ProbeCpu()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("flags", StringComparison.Ordinal) || line.StartsWith("Features", StringComparison.Ordinal))
                    {
                        var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        return RuntimeInformation.ProcessArchitecture == Architecture.Arm64
                            ? flags.Contains("bf16")
                            : flags.Contains("avx512_bf16") || flags.Contains("amx_bf16");
                    }
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return false;
    }
}
