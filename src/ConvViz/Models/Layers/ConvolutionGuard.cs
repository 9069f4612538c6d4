// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Checks every distinct CPU convolution once against a float64 reference and routes it around a kernel that computes
/// wrong values, so that a model's results do not depend on which CPU runs it.
/// </summary>
/// <remarks>
/// <para>oneDNN, libtorch's CPU convolution library, chooses its kernels and their blocking from the CPU it detects. On
/// an AMD Zen 5 virtual machine whose hypervisor hides the cache topology (no cache levels in <c>lscpu</c>; oneDNN 3.7.1
/// in libtorch 2.10), some channels-last kernels were seen to return wrong values without any error: grouped
/// convolutions with more than one output channel per input channel (depth multipliers; <c>jit:avx512_core</c>) and
/// strided 1×1 convolutions with 128 to 512 channels (<c>brgconv_1x1:avx512_core</c>), off by 4–60 % of the largest
/// output value; the same calls were right on Intel CPUs and channels-first on the same machine. Input gradients of
/// convolutions with fewer than 16 filters were wrong in some repetitions in both layouts (see
/// <see cref="NeedsReliableInputGradient"/>).</para>
/// <para>So the first time a configuration runs (input shape, kernel shape, strides, padding, dilation, groups, element
/// type, layout, and for the prepacked path the fused addition and ReLU), the first and last image of its output are
/// compared with libtorch's float64 convolution of the same values (its own reference code, which oneDNN does not
/// serve). Agreement is within 1e-3 of the largest reference value in float32 and 2e-2 in bfloat16 (whose outputs are
/// rounded to 8 bits); the wrong kernels missed by 4e-2 or more. A configuration that disagrees runs channels-first
/// from then on (checked the same way), or in float64 if that disagrees too, and the route is logged once. The check
/// costs one float64 convolution of two images per configuration and process; later calls cost a dictionary lookup.
/// Gradients are not checked: a rerouted configuration also differentiates through the route it runs.</para>
/// </remarks>
internal static class ConvolutionGuard
{
    /// <summary>How many configurations are remembered; past it the table starts over (each configuration is checked again).</summary>
    private const int MaxConfigurations = 4096;

    private static readonly ConcurrentDictionary<string, Route> s_routes = new(StringComparer.Ordinal);

    /// <summary>How a configuration runs.</summary>
    internal enum Route
    {
        /// <summary>As asked: the layout and type of the input.</summary>
        Native,

        /// <summary>Channels-first (contiguous) input and kernel, the result converted back to the input's layout.</summary>
        ChannelsFirst,

        /// <summary>In float64, the result converted back to the input's type and layout.</summary>
        Float64,
    }

    /// <summary>Gets how many configurations run another route than the native one (for tests and diagnostics).</summary>
    internal static int ReroutedCount => s_routes.Values.Count(r => r != Route.Native);

    /// <summary>
    /// Runs <c>conv2d</c> (symmetric <paramref name="padding"/>) on its checked route; differentiable. The first call of a
    /// configuration also checks it (without recording gradients).
    /// </summary>
    /// <returns>The result in <paramref name="x"/>'s type and layout; the caller owns it.</returns>
    public static Tensor Conv2d(Tensor x, Tensor kernel, Tensor? bias, long[] strides, long[] padding, long[] dilation, long groups)
    {
        if (x.device_type != TorchSharp.DeviceType.CPU || x.dim() != 4 || !IsCheckedType(x.dtype))
        {
            return nn.functional.conv2d(x, kernel, bias, strides, padding, dilation, groups);
        }

        if (NeedsReliableInputGradient(x, kernel, groups))
        {
            // The value as every other call computes it (so results do not change with the gradient mode), the
            // gradients from libtorch's own convolution: value + (reliable − reliable.detach()), where the difference
            // is exactly zero and carries the reliable gradients.
            Tensor value;
            using (no_grad())
            {
                value = Conv2d(x, kernel, bias, strides, padding, dilation, groups);
            }

            using (value)
            {
                using var reliable = WithoutOneDnn(x, kernel, bias, strides, padding, dilation);
                using var constant = reliable.detach();
                using var zero = reliable.sub(constant);
                return value.add(zero, Scalars.One);
            }
        }

        var key = Describe("conv", x, kernel, bias is not null, strides, padding, dilation, groups);
        if (s_routes.TryGetValue(key, out var known))
        {
            return Run(known, x, kernel, bias, strides, padding, dilation, groups);
        }

        foreach (var route in new[] { Route.Native, Route.ChannelsFirst })
        {
            var output = Run(route, x, kernel, bias, strides, padding, dilation, groups);
            var agrees = Agrees(output, x, kernel, bias, null, false, strides, padding, dilation, groups);
            if (agrees != false)
            {
                if (agrees == true)
                {
                    Remember(key, route);
                }

                return output;
            }

            output.Dispose();
        }

        Remember(key, Route.Float64);
        return Run(Route.Float64, x, kernel, bias, strides, padding, dilation, groups);
    }

    /// <summary>
    /// Runs oneDNN's prepacked, fused convolution (see <see cref="OneDnnConvolution.Convolve"/>) when its configuration
    /// (with the fused addition and ReLU) checked out, otherwise the checked <see cref="Conv2d"/> of the plain
    /// <paramref name="kernel"/> followed by the addition and ReLU. Inference only.
    /// </summary>
    /// <returns>The channels-last result; the caller owns it.</returns>
    public static Tensor Prepacked(Tensor x, Tensor packedKernel, Tensor kernel, Tensor? bias, long[] strides, long[] padding, long[] dilation, Tensor? addend, bool relu)
    {
        var key = Describe(addend is null ? relu ? "packed+relu" : "packed" : relu ? "packed+add+relu" : "packed+add", x, kernel, bias is not null, strides, padding, dilation, 1);
        if (s_routes.TryGetValue(key, out var known))
        {
            return known == Route.Native
                ? OneDnnConvolution.Convolve(x, packedKernel, bias, padding, strides, dilation, addend, relu)
                : Unfused(x, kernel, bias, strides, padding, dilation, addend, relu);
        }

        var output = OneDnnConvolution.Convolve(x, packedKernel, bias, padding, strides, dilation, addend, relu);
        var agrees = Agrees(output, x, kernel, bias, addend, relu, strides, padding, dilation, 1);
        if (agrees != false)
        {
            if (agrees == true)
            {
                Remember(key, Route.Native);
            }

            return output;
        }

        output.Dispose();
        Remember(key, Route.ChannelsFirst);
        return Unfused(x, kernel, bias, strides, padding, dilation, addend, relu);
    }

    /// <summary>Forgets every checked configuration (for tests).</summary>
    internal static void Reset() => s_routes.Clear();

    /// <summary>Runs a configuration on a route without checking it (for tests).</summary>
    internal static Tensor Run(Route route, Tensor x, Tensor kernel, Tensor? bias, long[] strides, long[] padding, long[] dilation, long groups)
    {
        switch (route)
        {
            case Route.ChannelsFirst:
            {
                using var dense = x.contiguous();
                using var denseKernel = kernel.contiguous();
                return InLayoutOf(x, nn.functional.conv2d(dense, denseKernel, bias, strides, padding, dilation, groups));
            }

            case Route.Float64:
            {
                using var wideStrided = x.to_type(ScalarType.Float64);
                using var wide = wideStrided.contiguous();
                using var wideKernelStrided = kernel.to_type(ScalarType.Float64);
                using var wideKernel = wideKernelStrided.contiguous();
                using var wideBias = bias?.to_type(ScalarType.Float64);
                using var y = nn.functional.conv2d(wide, wideKernel, wideBias, strides, padding, dilation, groups);
                return InLayoutOf(x, y.to_type(x.dtype));
            }

            default:
                return nn.functional.conv2d(x, kernel, bias, strides, padding, dilation, groups);
        }
    }

    /// <summary>Returns <paramref name="y"/> (consumed) in the layout of <paramref name="x"/>: channels-last when it is.</summary>
    private static Tensor InLayoutOf(Tensor x, Tensor y)
    {
        if (!TensorLayout.IsChannelsLast(x))
        {
            return y;
        }

        var converted = TensorLayout.Convert(y, true);
        if (!ReferenceEquals(converted, y))
        {
            y.Dispose();
        }

        return converted;
    }

    private static Tensor Unfused(Tensor x, Tensor kernel, Tensor? bias, long[] strides, long[] padding, long[] dilation, Tensor? addend, bool relu)
    {
        var y = Conv2d(x, kernel, bias, strides, padding, dilation, 1);
        if (addend is not null)
        {
            y.add_(addend, Scalars.One);
        }

        return relu ? y.relu_() : y;
    }

    /// <summary>
    /// Whether the gradient with respect to <paramref name="x"/> will be computed through a convolution with fewer than
    /// 16 filters (oneDNN's channel block): on the machine described above, oneDNN's backward-data kernels returned
    /// wrong values or NaN for such convolutions in one to three of four repetitions of the same call (1 and 8 filters,
    /// 1 to 12 input channels; reading memory they had not written, by all appearances), so no single check can clear
    /// them. The blog model's training never needs it (its only convolution with 8 filters is the first, and the image
    /// needs no gradient); the first layers of saliency maps, integrated gradients, SmoothGrad and activation
    /// maximisation often do, and then take their gradients from libtorch's own convolution.
    /// </summary>
    private static bool NeedsReliableInputGradient(Tensor x, Tensor kernel, long groups) =>
        groups == 1 && kernel.shape[0] < 16 && x.requires_grad && is_grad_enabled();

    /// <summary>libtorch's own convolution (float32), or the float64 route where that is unavailable or the type is bfloat16.</summary>
    private static Tensor WithoutOneDnn(Tensor x, Tensor kernel, Tensor? bias, long[] strides, long[] padding, long[] dilation)
    {
        if (x.dtype == ScalarType.Float32)
        {
            using var dense = x.contiguous();
            using var denseKernel = kernel.contiguous();
            using var zeroBias = bias is null ? zeros(kernel.shape[0], ScalarType.Float32) : null;
            if (OneDnnConvolution.ConvolveWithoutOneDnn(dense, denseKernel, bias ?? zeroBias!, padding, strides, dilation) is { } y)
            {
                return InLayoutOf(x, y);
            }
        }

        return Run(Route.Float64, x, kernel, bias, strides, padding, dilation, 1);
    }

    private static bool IsCheckedType(ScalarType type) => type is ScalarType.Float32 or ScalarType.BFloat16;

    private static void Remember(string key, Route route)
    {
        if (s_routes.Count >= MaxConfigurations)
        {
            s_routes.Clear();
        }

        if (s_routes.TryAdd(key, route) && route != Route.Native)
        {
            RuntimeLog.ConvolutionRerouted(RuntimeSettings.Logger, key, route.ToString());
        }
    }

    /// <summary>
    /// Whether <paramref name="output"/> agrees with the float64 reference on the batch's first and last image:
    /// <see langword="null"/> when the reference is not finite (inputs with NaN or infinity; nothing can be concluded).
    /// </summary>
    private static bool? Agrees(Tensor output, Tensor x, Tensor kernel, Tensor? bias, Tensor? addend, bool relu, long[] strides, long[] padding, long[] dilation, long groups)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var last = x.shape[0] - 1;
        var rows = last == 0 ? tensor(new long[] { 0 }) : tensor(new long[] { 0, last });
        var sample = x.detach().index_select(0, rows).to_type(ScalarType.Float64).contiguous();
        var reference = nn.functional.conv2d(
            sample,
            kernel.detach().to_type(ScalarType.Float64).contiguous(),
            bias?.detach().to_type(ScalarType.Float64),
            strides,
            padding,
            dilation,
            groups);
        if (addend is not null)
        {
            reference = reference.add(addend.detach().index_select(0, rows).to_type(ScalarType.Float64), Scalars.One);
        }

        if (relu)
        {
            reference = reference.relu();
        }

        var scale = reference.abs().max().item<double>();
        if (!double.IsFinite(scale))
        {
            return null;
        }

        var error = output.detach().index_select(0, rows).to_type(ScalarType.Float64).sub(reference).abs().max().item<double>();
        var tolerance = (x.dtype == ScalarType.Float32 ? 1e-3 : 2e-2) * Math.Max(scale, double.Epsilon);
        return error <= tolerance;
    }

    private static string Describe(string kind, Tensor x, Tensor kernel, bool hasBias, long[] strides, long[] padding, long[] dilation, long groups)
    {
        var text = new StringBuilder(96).Append(kind).Append(' ').Append(x.dtype).Append(TensorLayout.IsChannelsLast(x) ? " NHWC " : " NCHW ");
        Append(text, x.shape).Append(" kernel ");
        Append(text, kernel.shape).Append(hasBias ? " bias" : string.Empty).Append(" stride ");
        Append(text, strides).Append(" pad ");
        Append(text, padding).Append(" dilation ");
        Append(text, dilation).Append(" groups ").Append(groups.ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    private static StringBuilder Append(StringBuilder text, long[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            text.Append(i == 0 ? string.Empty : "x").Append(values[i].ToString(CultureInfo.InvariantCulture));
        }

        return text;
    }
}
