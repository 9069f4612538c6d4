// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;

namespace ConvViz;

/// <summary>
/// Chooses libtorch's CPU convolution path deliberately: NNPACK is switched off once, when ConvViz loads libtorch
/// (PyTorch's <c>torch.backends.nnpack.set_flags(False)</c>, which TorchSharp does not expose).
/// </summary>
/// <remarks>
/// <para>libtorch picks a float32 CPU convolution's algorithm per call: oneDNN when it expects it to be faster (any batch
/// above one, and large or strided single images), otherwise NNPACK when NNPACK is enabled and initialises on the CPU and
/// the batch has at least 16 images, otherwise its own direct kernel. Whether NNPACK initialises depends on the CPU model
/// it recognises: on some (AMD Zen 5 was seen) it fails, and libtorch then prints "Could not initialize NNPACK! Reason:
/// Unsupported hardware." each time it considers NNPACK, dozens of times per inspection. Disabled, NNPACK is never
/// considered: the algorithm no longer depends on which CPU runs the model, and the warning never appears. In libtorch's
/// selection order oneDNN is asked first and takes every float32 batch above one image, so NNPACK was rarely the path.</para>
/// <para>The switch is a process-wide flag of libtorch's global context, set through its exported C++ functions; where they
/// cannot be found (another ABI or libtorch build), nothing changes and the reason is logged.</para>
/// </remarks>
internal static class ConvolutionPath
{
    private static readonly (string Context, string Setter, string Getter)[] Exports =
    [
        // Itanium C++ ABI (Linux, macOS).
        ("_ZN2at13globalContextEv", "_ZN2at7Context20setUserEnabledNNPACKEb", "_ZNK2at7Context17userEnabledNNPACKEv"),

        // MSVC (Windows x64).
        ("?globalContext@at@@YAAEAVContext@1@XZ", "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z", "?userEnabledNNPACK@Context@at@@QEBA_NXZ"),
    ];

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetFlag(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    private delegate bool GetFlag(IntPtr context);

    private static GetFlag? s_getter;
    private static IntPtr s_context;

    /// <summary>Gets whether libtorch may use NNPACK, or <see langword="null"/> when its flag could not be reached.</summary>
    public static bool? IsNnpackEnabled => s_getter is { } get ? get(s_context) : null;

    /// <summary>Switches NNPACK off in the loaded libtorch; called once by <see cref="NativeBackend.EnsureLoaded"/>.</summary>
    /// <returns>A sentence for the log when the flag could not be reached; <see langword="null"/> on success.</returns>
    public static string? DisableNnpack()
    {
        if (!TryOpenTorchCpu(out var library))
        {
            return "libtorch_cpu is not among the loaded native libraries";
        }

        foreach (var (contextName, setterName, getterName) in Exports)
        {
            if (NativeLibrary.TryGetExport(library, contextName, out var contextExport) &&
                NativeLibrary.TryGetExport(library, setterName, out var setterExport) &&
                NativeLibrary.TryGetExport(library, getterName, out var getterExport))
            {
                s_context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(contextExport)();
                Marshal.GetDelegateForFunctionPointer<SetFlag>(setterExport)(s_context, false);
                s_getter = Marshal.GetDelegateForFunctionPointer<GetFlag>(getterExport);
                return null;
            }
        }

        return "libtorch_cpu does not export at::Context::setUserEnabledNNPACK under a known C++ ABI";
    }

    /// <summary>Opens the libtorch_cpu that TorchSharp loaded (another reference to it).</summary>
    internal static bool TryOpenTorchCpu(out IntPtr library)
    {
        // The library is already loaded by TorchSharp; opening it again only takes another reference to it.
        foreach (var name in new[] { NativeBackend.FindNative("torch_cpu"), "libtorch_cpu.so", "torch_cpu.dll", "libtorch_cpu.dylib" })
        {
            if (name is not null && NativeLibrary.TryLoad(name, out library))
            {
                return true;
            }
        }

        library = IntPtr.Zero;
        return false;
    }
}
