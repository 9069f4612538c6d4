// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using static TorchSharp.torch;

namespace ConvViz;

/// <summary>
/// libtorch's oneDNN convolutions for inference, as PyTorch's CPU compiler (Inductor) uses them after freezing: a kernel
/// reordered once into oneDNN's blocked layout (<c>aten::mkldnn_reorder_conv2d_weight</c>), and a convolution that
/// applies ReLU, or adds a residual and then applies ReLU, before it writes its output
/// (<c>mkldnn::_convolution_pointwise</c> and its <c>.binary</c> overload). Eager <c>conv2d</c> reorders the kernel on
/// every call and writes every intermediate value. The graph executor uses them for a convolution with a batch
/// normalization folded in (and a residual addition and ReLU fused), and for a convolution that runs by itself in
/// inference (its own kernel and bias, its ReLU fused), which is how every convolution runs when every layer's value is
/// requested.
/// </summary>
/// <remarks>
/// TorchSharp exposes none of these operators. libtorch reaches them from TorchScript, but <c>torch.jit.compile</c>
/// resolves only <c>torch.*</c> (the <c>aten</c> namespace); the <c>ops.mkldnn.*</c> namespace is resolved for code
/// loaded from a TorchScript archive. So the first use builds a minimal archive in memory (the code below, a pickled
/// instance of its module class without tensors, an empty constant table and the format version), loads it with
/// <c>torch.jit.load</c>, and checks the operators against <c>conv2d</c> on a small case. Where
/// loading or that check fails (a libtorch built without oneDNN, another platform), <see cref="IsAvailable"/> is
/// <see langword="false"/>, the reason is logged once, and callers keep libtorch's eager convolution.
/// </remarks>
internal static class OneDnnConvolution
{
    private const string ArchiveName = "convviz_onednn";

    // TorchScript as torch.jit.save writes it (2-space indentation, typed self). Scalar lists are typed explicitly: an
    // empty list literal would be List[Tensor].
    private const string Code = """
        class OneDnn(Module):
          __parameters__ = []
          __buffers__ = []
          training : bool
          def pack(self: __torch__.OneDnn, w: Tensor, ph: int, pw: int, sh: int, sw: int, dh: int, dw: int, n: int, c: int, h: int, wd: int) -> Tensor:
            return torch.mkldnn_reorder_conv2d_weight(torch.to_mkldnn(w), [ph, pw], [sh, sw], [dh, dw], 1, [n, c, h, wd])
          def conv(self: __torch__.OneDnn, x: Tensor, w: Tensor, b: Tensor, ph: int, pw: int, sh: int, sw: int, dh: int, dw: int, relu: bool) -> Tensor:
            if relu:
              return ops.mkldnn._convolution_pointwise(x, w, b, [ph, pw], [sh, sw], [dh, dw], 1, "relu", annotate(List[Optional[number]], []), None)
            return ops.mkldnn._convolution_pointwise(x, w, b, [ph, pw], [sh, sw], [dh, dw], 1, "none", annotate(List[Optional[number]], []), None)
          def conv_nobias(self: __torch__.OneDnn, x: Tensor, w: Tensor, ph: int, pw: int, sh: int, sw: int, dh: int, dw: int, relu: bool) -> Tensor:
            if relu:
              return ops.mkldnn._convolution_pointwise(x, w, None, [ph, pw], [sh, sw], [dh, dw], 1, "relu", annotate(List[Optional[number]], []), None)
            return ops.mkldnn._convolution_pointwise(x, w, None, [ph, pw], [sh, sw], [dh, dw], 1, "none", annotate(List[Optional[number]], []), None)
          def conv_add(self: __torch__.OneDnn, x: Tensor, other: Tensor, w: Tensor, b: Tensor, ph: int, pw: int, sh: int, sw: int, dh: int, dw: int, relu: bool) -> Tensor:
            if relu:
              return ops.mkldnn._convolution_pointwise(x, other, w, b, [ph, pw], [sh, sw], [dh, dw], 1, "add", None, "relu", annotate(List[Optional[number]], []), None)
            return ops.mkldnn._convolution_pointwise(x, other, w, b, [ph, pw], [sh, sw], [dh, dw], 1, "add", None, None, annotate(List[Optional[number]], []), None)

        """;

    // libtorch's own convolution (im2col and a matrix product: thnn_conv2d, slow_conv_dilated2d), which oneDNN never
    // serves, for the convolutions whose input gradients oneDNN gets wrong on some CPUs (see ConvolutionGuard).
    private const string ReferenceCode = """
        class OneDnn(Module):
          __parameters__ = []
          __buffers__ = []
          training : bool
          def conv(self: __torch__.OneDnn, x: Tensor, w: Tensor, b: Tensor, kh: int, kw: int, sh: int, sw: int, ph: int, pw: int, dh: int, dw: int) -> Tensor:
            if dh == 1 and dw == 1:
              return ops.aten.thnn_conv2d(x, w, [kh, kw], b, [sh, sw], [ph, pw])
            return ops.aten.slow_conv_dilated2d(x, w, [kh, kw], b, [sh, sw], [ph, pw], [dh, dw])

        """;

    private static readonly Lazy<jit.ScriptModule?> s_module = new(Open);

    private static readonly Lazy<jit.ScriptModule?> s_reference = new(OpenReference);

    /// <summary>Gets a value indicating whether the prepacked and fused convolutions work in this process (loaded and checked once).</summary>
    public static bool IsAvailable => s_module.Value is not null;

    /// <summary>
    /// Reorders a kernel [filters, input channels, h, w] (float32 or bfloat16, groups 1) into the blocked layout that
    /// oneDNN's convolution chooses for inputs of <paramref name="inputShape"/> in channels-last layout.
    /// </summary>
    /// <returns>An opaque oneDNN tensor (only <see cref="Convolve"/> reads it); the caller owns it.</returns>
    public static Tensor Prepack(Tensor kernel, long[] padding, long[] strides, long[] dilation, long[] inputShape) =>
        Invoke("pack", kernel, (int)padding[0], (int)padding[1], (int)strides[0], (int)strides[1], (int)dilation[0], (int)dilation[1],
            (int)inputShape[0], (int)inputShape[1], (int)inputShape[2], (int)inputShape[3]);

    /// <summary>
    /// Convolves <paramref name="x"/> (channels-last) with a kernel from <see cref="Prepack"/> (or a plain one) and
    /// <paramref name="bias"/> (symmetric <paramref name="padding"/>, groups 1), then, in the same pass, adds
    /// <paramref name="addend"/> (of the output's shape and type) and applies ReLU, each when given.
    /// </summary>
    /// <param name="x">The input, channels-last.</param>
    /// <param name="kernel">The kernel, prepacked or plain.</param>
    /// <param name="bias">The bias; <see langword="null"/> for none (only without <paramref name="addend"/>).</param>
    /// <param name="padding">The padding [height, width], applied on both sides.</param>
    /// <param name="strides">The strides [height, width].</param>
    /// <param name="dilation">The dilation [height, width].</param>
    /// <param name="addend">A tensor to add to the convolution's output, or <see langword="null"/>.</param>
    /// <param name="relu">Whether to apply ReLU last.</param>
    /// <returns>The channels-last result in <paramref name="x"/>'s type; the caller owns it.</returns>
    public static Tensor Convolve(Tensor x, Tensor kernel, Tensor? bias, long[] padding, long[] strides, long[] dilation, Tensor? addend, bool relu)
    {
        int ph = (int)padding[0], pw = (int)padding[1], sh = (int)strides[0], sw = (int)strides[1], dh = (int)dilation[0], dw = (int)dilation[1];
        if (bias is null)
        {
            return addend is null
                ? Invoke("conv_nobias", x, kernel, ph, pw, sh, sw, dh, dw, relu)
                : throw new ArgumentNullException(nameof(bias), "A fused addition needs a bias (a folded batch normalization always gives one).");
        }

        return addend is null
            ? Invoke("conv", x, kernel, bias, ph, pw, sh, sw, dh, dw, relu)
            : Invoke("conv_add", x, addend, kernel, bias, ph, pw, sh, sw, dh, dw, relu);
    }

    /// <summary>
    /// Convolves with libtorch's own float32 convolution instead of oneDNN (groups 1; differentiable, with libtorch's own
    /// gradients), or returns <see langword="null"/> where that path is not available in this process.
    /// </summary>
    /// <returns>The result (contiguous), or <see langword="null"/>; the caller owns it.</returns>
    public static Tensor? ConvolveWithoutOneDnn(Tensor x, Tensor kernel, Tensor bias, long[] padding, long[] strides, long[] dilation) =>
        s_reference.Value is { } module
            ? Call(module, "conv", x, kernel, bias, (int)kernel.shape[2], (int)kernel.shape[3], (int)strides[0], (int)strides[1], (int)padding[0], (int)padding[1], (int)dilation[0], (int)dilation[1])
            : null;

    private static Tensor Invoke(string method, params object[] arguments) =>
        Call(s_module.Value ?? throw new InvalidOperationException("oneDNN's fused convolutions are not available in this process."), method, arguments);

    /// <summary>Runs a method of the TorchScript module; arguments are tensors, <see cref="int"/>s and <see cref="bool"/>s only.</summary>
    private static Tensor Call(jit.ScriptModule module, string method, params object[] arguments)
    {
        Debug.Assert(arguments.All(a => a is Tensor or int or bool), "TorchSharp wraps long, float and double arguments in temporary Scalars.");

        // TorchSharp passes tensors, ints and bools to TorchScript as they are; only long, float and double arguments
        // would become temporary Scalars, which the analyzer cannot tell apart from these.
#pragma warning disable CVZ0002
        return (Tensor)module.invoke(method, arguments);
#pragma warning restore CVZ0002
    }

    private static jit.ScriptModule? Open()
    {
        NativeBackend.EnsureLoaded();
        jit.ScriptModule? module = null;
        try
        {
            module = jit.load(Archive());
            var mismatch = SelfTest(module);
            if (mismatch is null)
            {
                return module;
            }

            RuntimeLog.OneDnnUnavailable(RuntimeSettings.Logger, mismatch);
        }
        catch (Exception ex) when (ex is ExternalException or InvalidCastException or NotImplementedException)
        {
            // What libtorch and TorchSharp raise when an operator or the archive's code is missing on this build or
            // platform (not a placeholder): the eager folded convolution is used instead.
            RuntimeLog.OneDnnUnavailable(RuntimeSettings.Logger, ex.Message.Split('\n')[0]);
        }

        module?.Dispose();
        return null;
    }

    private static jit.ScriptModule? OpenReference()
    {
        NativeBackend.EnsureLoaded();
        jit.ScriptModule? module = null;
        try
        {
            module = jit.load(Archive(ReferenceCode));
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var generator = new Generator().manual_seed(19);
            var x = rand([2, 3, 9, 9], generator: generator);
            var kernel = rand([5, 3, 3, 3], generator: generator).sub(Scalars.Half);
            var bias = rand([5], generator: generator);
            long[] padding = [1, 1], strides = [2, 2], dilation = [1, 1];
            var expected = nn.functional.conv2d(x.to_type(ScalarType.Float64), kernel.to_type(ScalarType.Float64), bias.to_type(ScalarType.Float64), strides, padding, dilation);
            var actual = Call(module, "conv", x, kernel, bias, 3, 3, 2, 2, 1, 1, 1, 1);
            if (actual.shape.SequenceEqual(expected.shape) && actual.to_type(ScalarType.Float64).sub(expected).abs().max().item<double>() <= 1e-5 * expected.abs().max().item<double>())
            {
                return module;
            }
        }
        catch (Exception ex) when (ex is ExternalException or InvalidCastException or NotImplementedException)
        {
            // The operators are missing on this build: the guard computes those convolutions in float64 instead.
        }

        module?.Dispose();
        return null;
    }

    /// <summary>The TorchScript archive of <paramref name="code"/>: <c>version</c>, <c>constants.pkl</c>, <c>data.pkl</c> and the module's code.</summary>
    private static byte[] Archive(string code = Code)
    {
        // Pickle protocol 2: the module object (class __torch__.OneDnn, built from a dict {"training": False}).
        byte[] data =
        [
            0x80, 2, (byte)'c', .. "__torch__\nOneDnn\n"u8, 0x29 /* EMPTY_TUPLE */, 0x81 /* NEWOBJ */, 0x7d /* EMPTY_DICT */,
            0x28 /* MARK */, 0x58 /* BINUNICODE */, 8, 0, 0, 0, .. "training"u8, 0x89 /* NEWFALSE */, 0x75 /* SETITEMS */,
            0x62 /* BUILD */, 0x2e /* STOP */,
        ];
        byte[] constants = [0x80, 2, 0x29 /* EMPTY_TUPLE */, 0x2e /* STOP */];
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, ReadOnlySpan<byte> content)
            {
                using var stream = zip.CreateEntry($"{ArchiveName}/{name}", CompressionLevel.NoCompression).Open();
                stream.Write(content);
            }

            Add("version", "3\n"u8);
            Add("constants.pkl", constants);
            Add("data.pkl", data);
            Add("code/__torch__.py", Encoding.UTF8.GetBytes(code.ReplaceLineEndings("\n")));
        }

        return buffer.ToArray();
    }

    /// <summary>Compares the prepacked, ReLU-fused and add-ReLU-fused convolutions with <c>conv2d</c>; returns what differs, or <see langword="null"/>.</summary>
    private static string? SelfTest(jit.ScriptModule module)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator().manual_seed(17);
        var x = ChannelsLast(rand([2, 8, 7, 7], generator: generator));
        var kernel = ChannelsLast(rand([16, 8, 3, 3], generator: generator).sub(Scalars.Half));
        var bias = rand([16], generator: generator);
        var other = ChannelsLast(rand([2, 16, 4, 4], generator: generator).sub(Scalars.Half));
        long[] padding = [1, 1], strides = [2, 2], dilation = [1, 1];
        static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var expected = nn.functional.conv2d(x, kernel, bias, strides, padding, dilation);
        var packed = Call(module, "pack", kernel, 1, 1, 2, 2, 1, 1, 2, 8, 7, 7);
        var relu = Call(module, "conv", x, packed, bias, 1, 1, 2, 2, 1, 1, true);
        var addRelu = Call(module, "conv_add", x, other, packed, bias, 1, 1, 2, 2, 1, 1, true);
        var withoutBias = Call(module, "conv_nobias", x, packed, 1, 1, 2, 2, 1, 1, false);
        var tolerance = 1e-5 * expected.abs().max().item<float>();
        double Difference(Tensor actual, Tensor reference) =>
            actual.shape.SequenceEqual(reference.shape) ? actual.sub(reference).abs().max().item<float>() : double.PositiveInfinity;
        var reluDifference = Difference(relu, expected.relu());
        var addDifference = Difference(addRelu, expected.add(other, Scalars.One).relu());
        var biasDifference = Difference(withoutBias, nn.functional.conv2d(x, kernel, null, strides, padding, dilation));
        var worst = Math.Max(Math.Max(reluDifference, addDifference), biasDifference);
        return worst <= tolerance
            ? null
            : $"the fused convolution differs from conv2d by {worst:E2} (tolerance {tolerance:E2})";
    }
}
