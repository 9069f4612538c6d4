// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace ConvViz;

/// <summary>
/// Reads libtorch's version counter of a tensor (PyTorch's <c>tensor._version</c>, which TorchSharp does not expose):
/// every in-place change (an optimizer step, <c>copy_</c>, <c>set_</c>, a weight assignment) increments it. Values
/// derived from parameters and cached (the inference-time folded convolution weights) are valid while the versions of
/// the tensors they came from are unchanged.
/// </summary>
/// <remarks>
/// The counter is read through libtorch's exported operator <c>at::_ops::_version::call(const at::Tensor&amp;)</c>; a
/// TorchSharp tensor handle is a pointer to an <c>at::Tensor</c>. The first use checks that an in-place addition
/// increments what is read; where the export is missing or the check fails, <see cref="IsAvailable"/> is
/// <see langword="false"/> and callers must not cache.
/// </remarks>
internal static class TensorVersion
{
    private static readonly string[] Exports =
    [
        // Itanium C++ ABI (Linux, macOS).
        "_ZN2at4_ops8_version4callERKNS_6TensorE",

        // MSVC (Windows x64).
        "?call@_version@_ops@at@@SA_JAEBVTensor@3@@Z",
    ];

    private static readonly Lazy<ReadVersion?> s_read = new(Open);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate long ReadVersion(IntPtr tensor);

    /// <summary>Gets a value indicating whether version counters can be read in this process.</summary>
    public static bool IsAvailable => s_read.Value is not null;

    /// <summary>Returns the version counter of <paramref name="tensor"/>; only when <see cref="IsAvailable"/>.</summary>
    /// <param name="tensor">A tensor created outside inference mode; not disposed.</param>
    /// <returns>The counter; it grows with every in-place change.</returns>
    public static long Read(Tensor tensor) => (s_read.Value ?? throw new InvalidOperationException("libtorch's version counter cannot be read in this process."))(tensor.Handle);

    private static ReadVersion? Open()
    {
        NativeBackend.EnsureLoaded();
        if (!ConvolutionPath.TryOpenTorchCpu(out var library))
        {
            return null;
        }

        foreach (var name in Exports)
        {
            if (NativeLibrary.TryGetExport(library, name, out var export))
            {
                var read = Marshal.GetDelegateForFunctionPointer<ReadVersion>(export);
                return SelfTest(read) ? read : null;
            }
        }

        return null;
    }

    /// <summary>Checks that two in-place changes increment the counter read by <paramref name="read"/> by one each.</summary>
    private static bool SelfTest(ReadVersion read)
    {
        using var probe = zeros(4);
        var before = read(probe.Handle);
        probe.add_(Scalars.One, Scalars.One);
        var after = read(probe.Handle);
        probe.mul_(Scalars.One);
        return after == before + 1 && read(probe.Handle) == after + 1;
    }
}
