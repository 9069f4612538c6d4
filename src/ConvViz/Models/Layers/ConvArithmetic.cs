// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>Output sizes and padding of sliding windows, with TensorFlow's definitions.</summary>
internal static class ConvArithmetic
{
    /// <summary>The extent of a dilated kernel: (k − 1)·d + 1.</summary>
    public static long EffectiveKernel(int kernel, int dilation) => ((long)kernel - 1) * dilation + 1;

    /// <summary>
    /// The output length along one axis: valid ⌊(n − k_eff) / s⌋ + 1 (0 or less when the window does not fit),
    /// same ⌈n / s⌉.
    /// </summary>
    public static long OutputSize(int input, int kernel, int stride, int dilation, Padding padding)
    {
        var k = EffectiveKernel(kernel, dilation);
        return padding == Padding.Same
            ? ((long)input + stride - 1) / stride
            : input < k ? 0 : ((input - k) / stride) + 1;
    }

    /// <summary>
    /// The output length along one axis with explicit padding (ONNX <c>pads</c>): ⌊(n + before + after − k_eff) / s⌋ + 1,
    /// 0 when the window does not fit the padded input.
    /// </summary>
    public static long OutputSize(int input, int kernel, int stride, int dilation, int before, int after)
    {
        var padded = (long)input + before + after;
        var k = EffectiveKernel(kernel, dilation);
        return padded < k ? 0 : ((padded - k) / stride) + 1;
    }

    /// <summary>TensorFlow's 'same' padding along one axis: (before, after), the larger half after.</summary>
    public static (int Before, int After) SamePadding(int input, int kernel, int stride, int dilation)
    {
        var output = ((long)input + stride - 1) / stride;
        var total = Math.Max(((output - 1) * stride) + EffectiveKernel(kernel, dilation) - input, 0);
        var before = total / 2;
        return (checked((int)before), checked((int)(total - before)));
    }
}
