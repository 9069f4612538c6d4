// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>A 2-D convolution layer (Keras <c>layer_conv_2d</c> / <c>Conv2D</c>) with its arguments.</summary>
[LayerType("Conv2D", "conv2d")]
public sealed record Conv2DOptions : ConvolutionOptions
{
    /// <inheritdoc/>
    /// <value>
    /// <see langword="true"/>: the kernel is [filters, input channels, kernel height, kernel width]; <see langword="false"/>
    /// for a grouped convolution (<see cref="Groups"/> above 1), whose kernel [filters, input channels / groups, height,
    /// width] does not give each filter a slice for every input channel.
    /// </value>
    public override bool HasFilters => Groups == 1;

    /// <summary>Gets the number of output channels (Keras <c>filters</c>); at least 1.</summary>
    /// <value>There is no default; the value is required.</value>
    public required int Filters { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Filters)); field = value; } }

    /// <summary>
    /// Gets the number of groups (Keras <c>groups</c>): the input channels and the filters are split into this many groups,
    /// and each group of filters sees only its group of input channels. The input channels and <see cref="Filters"/> must
    /// both be divisible by it.
    /// </summary>
    /// <value>The default value is 1 (an ordinary convolution). Stored in the model file only when it is not 1.</value>
    public int Groups { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Groups)); field = value; } } = 1;

    /// <summary>Gets the kernel initializer.</summary>
    /// <value>The default value is <see cref="Initializer.GlorotUniform"/>, as Keras.</value>
    public Initializer KernelInitializer { get; init { ThrowIfUndefined(value, nameof(KernelInitializer)); field = value; } } = Initializer.GlorotUniform;

    internal static Conv2DOptions Read(LayerReader r) => new()
    {
        Filters = r.Int("filters"),
        KernelSize = r.Size("kernel_size"),
        Strides = r.Size("strides"),
        Padding = r.Enum<Padding>("padding"),
        DilationRate = r.Size("dilation_rate"),
        Activation = r.Enum<Activation>("activation"),
        UseBias = r.Bool("use_bias"),
        KernelInitializer = r.Enum<Initializer>("kernel_initializer"),
        BiasInitializer = r.Enum<Initializer>("bias_initializer"),
        ExplicitPadding = ReadExplicitPadding(r),
        Groups = r.Has("groups") ? r.Int("groups") : 1,
    };

    internal override void WriteFields(LayerWriter w)
    {
        w.Int("filters", Filters);
        w.Size("kernel_size", KernelSize);
        w.Size("strides", Strides);
        w.Enum("padding", Padding);
        w.Size("dilation_rate", DilationRate);
        w.Enum("activation", Activation);
        w.Bool("use_bias", UseBias);
        w.Enum("kernel_initializer", KernelInitializer);
        w.Enum("bias_initializer", BiasInitializer);
        WriteExplicitPadding(w);

        if (Groups != 1)
        {
            w.Int("groups", Groups);
        }
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Activate(onnx.Convolution(inputs[0], "kernel", Groups, KernelSize, Strides, DilationRate, Padding, ExplicitPadding, UseBias), Activation);

    internal override LayerDefinition Define(LayerContext context)
    {
        var input = context.RequireSpatial();
        if (input.Channels % Groups != 0 || Filters % Groups != 0)
        {
            throw context.ShapeError(
                $"Groups = {Groups} must divide both the input channels ({input.Channels}) and Filters ({Filters}). Choose a number of groups that divides both, or change Filters");
        }

        var (outH, outW, padding) = ConvolutionGeometry.Resolve(context, input, KernelSize, Strides, DilationRate, Padding, Filters, ExplicitPadding);
        long receptive = (long)KernelSize.Height * KernelSize.Width;
        var spec = new ConvolutionSpec(
            "kernel", Filters, input.Channels, Groups, KernelSize, Strides, DilationRate, Activation, UseBias, KernelInitializer, BiasInitializer,
            FanIn: receptive * (input.Channels / Groups), FanOut: receptive * Filters);
        return new LayerDefinition(new LayerShape(outH, outW, Filters), spec.Tensors(), g => new Conv2DModule(context.Name, spec, padding, g));
    }
}

/// <summary>
/// The output size and padding of a 2-D convolution window (Conv2D, DepthwiseConv2D, SeparableConv2D), with the errors
/// that name the layer: strides combined with dilation, explicit padding with 'same', or a kernel that does not fit.
/// </summary>
internal static class ConvolutionGeometry
{
    public static (int Height, int Width, WindowPadding Padding) Resolve(
        LayerContext context, LayerShape input, Size2D k, Size2D s, Size2D d, Padding padding, int outChannels, Padding2D? explicitPadding = null)
    {
        if ((s.Height > 1 || s.Width > 1) && (d.Height > 1 || d.Width > 1))
        {
            throw context.ShapeError($"strides {s} cannot be combined with dilation rate {d} (Keras allows only one of them above 1)");
        }

        var (outH, outW, window) = context.Window(k, s, d, padding, explicitPadding);
        if (outH < 1 || outW < 1)
        {
            var extent = $"{ConvArithmetic.EffectiveKernel(k.Height, d.Height)}×{ConvArithmetic.EffectiveKernel(k.Width, d.Width)}";
            throw context.ShapeError(
                $"a {k} kernel (extent {extent} with dilation {d}) does not fit a {input.Height}×{input.Width} input; the output would be {LayerContext.FormatShape(outH, outW, outChannels)}. Use a smaller kernel or Padding.Same");
        }

        return (checked((int)outH), checked((int)outW), window);
    }
}

/// <summary>What a convolution module needs: its kernel's name and shape [filters, input channels / groups, h, w], the window, the activation, the bias and the initializers with their fans.</summary>
internal sealed record ConvolutionSpec(
    string KernelName,
    int Filters,
    int InChannels,
    int Groups,
    Size2D KernelSize,
    Size2D Strides,
    Size2D DilationRate,
    Activation Activation,
    bool UseBias,
    Initializer KernelInitializer,
    Initializer BiasInitializer,
    long FanIn,
    long FanOut)
{
    public long[] KernelShape => [Filters, InChannels / Groups, KernelSize.Height, KernelSize.Width];

    public List<TensorSpec> Tensors()
    {
        List<TensorSpec> tensors = [new(KernelName, KernelShape, true)];
        if (UseBias)
        {
            tensors.Add(new("bias", [Filters], true));
        }

        return tensors;
    }
}

/// <summary>
/// The sliding window of a convolution module: strides, dilation and padding (symmetric padding inside <c>conv2d</c>,
/// asymmetric padding as an explicit zero pad first). Shared by <see cref="Conv2DModule"/> and the separable convolution.
/// </summary>
internal sealed class ConvolutionWindow
{
    private readonly long[] _strides;
    private readonly long[] _convPadding;
    private readonly long[]? _explicitPadding;
    private readonly long[] _dilation;

    public ConvolutionWindow(Size2D strides, Size2D dilation, WindowPadding padding)
    {
        _strides = [strides.Height, strides.Width];
        _dilation = [dilation.Height, dilation.Width];
        if (padding.IsSymmetric)
        {
            _convPadding = [padding.Top, padding.Left];
        }
        else
        {
            _convPadding = [0, 0];
            _explicitPadding = padding.ToPadArgument();
        }
    }

    /// <summary>Convolves <paramref name="x"/> (not disposed) with <paramref name="kernel"/>; the caller owns the result.</summary>
    public Tensor Convolve(Tensor x, Tensor kernel, Tensor? bias, long groups)
    {
        using var padded = _explicitPadding is null ? null : nn.functional.pad(x, _explicitPadding);
        return ConvolutionGuard.Conv2d(padded ?? x, kernel, bias, _strides, _convPadding, _dilation, groups);
    }

    /// <summary>
    /// Returns <paramref name="x"/> with the asymmetric padding applied (a new tensor), or an alias when the padding is
    /// symmetric (the convolution pads); the caller owns it. <see cref="OutputShape"/>, <see cref="Prepack"/> and
    /// <see cref="ConvolvePrepacked"/> take the padded tensor.
    /// </summary>
    public Tensor PadAsymmetric(Tensor x) => _explicitPadding is null ? x.alias() : nn.functional.pad(x, _explicitPadding);

    /// <summary>
    /// Returns the output shape [N, filters, height, width] of this window over an input of <paramref name="inputShape"/>
    /// (after <see cref="PadAsymmetric"/>).
    /// </summary>
    public long[] OutputShape(long[] inputShape, long[] kernelShape) =>
    [
        inputShape[0],
        kernelShape[0],
        ((inputShape[2] + (2 * _convPadding[0]) - (_dilation[0] * (kernelShape[2] - 1)) - 1) / _strides[0]) + 1,
        ((inputShape[3] + (2 * _convPadding[1]) - (_dilation[1] * (kernelShape[3] - 1)) - 1) / _strides[1]) + 1,
    ];

    /// <summary>Reorders <paramref name="kernel"/> once for inputs of <paramref name="inputShape"/> (after <see cref="PadAsymmetric"/>; see <see cref="OneDnnConvolution.Prepack"/>).</summary>
    public Tensor Prepack(Tensor kernel, long[] inputShape) => OneDnnConvolution.Prepack(kernel, _convPadding, _strides, _dilation, inputShape);

    /// <summary>
    /// Convolves <paramref name="x"/> with a prepacked kernel, then adds <paramref name="addend"/> and applies ReLU in the
    /// same pass when given (see <see cref="OneDnnConvolution.Convolve"/>); <paramref name="x"/> comes from
    /// <see cref="PadAsymmetric"/>, groups 1. <paramref name="kernel"/> is the same kernel unpacked, for the check of
    /// <see cref="ConvolutionGuard.Prepacked"/> and its fallback.
    /// </summary>
    public Tensor ConvolvePrepacked(Tensor x, Tensor packedKernel, Tensor kernel, Tensor? bias, Tensor? addend, bool relu) =>
        ConvolutionGuard.Prepacked(x, packedKernel, kernel, bias, _strides, _convPadding, _dilation, addend, relu);

    /// <summary>
    /// Whether <paramref name="packedKernel"/> (from <see cref="Prepack"/>) gives what <paramref name="kernel"/> gives in
    /// the same oneDNN convolution of <paramref name="x"/> (after <see cref="PadAsymmetric"/>), to a thousandth of the
    /// largest value: a wrongly read kernel is off by the values' own size.
    /// </summary>
    public bool PrepackedAgrees(Tensor x, Tensor packedKernel, Tensor kernel, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        var expected = OneDnnConvolution.Convolve(x, kernel, bias, _convPadding, _strides, _dilation, null, false).to_type(ScalarType.Float32);
        var actual = OneDnnConvolution.Convolve(x, packedKernel, bias, _convPadding, _strides, _dilation, null, false).to_type(ScalarType.Float32);
        var scale = expected.abs().max().item<float>();
        return actual.sub(expected).abs().max().item<float>() <= 1e-3f * scale;
    }

    /// <summary>
    /// Whether libtorch's eager <c>conv2d</c> runs oneDNN for a float32 CPU input of <paramref name="inputShape"/> (after
    /// <see cref="PadAsymmetric"/>) and a kernel of <paramref name="kernelShape"/>, groups 1. libtorch picks oneDNN for
    /// float32 unless the batch is small and the work little: it takes its own im2col and matrix product path for a
    /// 1×1 kernel with stride and dilation 1, a batch below 16 and one thread, and for a batch of 1 with a kernel up to
    /// 3 in a dimension and at most 20,480 input values. That path rounds differently, so a convolution that must give
    /// eager <c>conv2d</c>'s exact values runs prepacked only where this holds (bfloat16 always runs oneDNN).
    /// </summary>
    public bool EagerUsesOneDnn(long[] inputShape, long[] kernelShape)
    {
        var unitWindow = _strides.All(s => s == 1) && _dilation.All(d => d == 1) && kernelShape[2] == 1 && kernelShape[3] == 1;
        if (unitWindow && inputShape[0] < 16 && get_num_threads() <= 1)
        {
            return false;
        }

        return (kernelShape[2] > 3 && kernelShape[3] > 3) || inputShape[0] > 1 || inputShape[0] * inputShape[1] * inputShape[2] * inputShape[3] > 20480;
    }

    /// <summary>Lays out a kernel parameter in place: channels-last strides when <paramref name="channelsLast"/>, otherwise contiguous.</summary>
    public static void ApplyLayout(Tensor kernel, bool channelsLast)
    {
        using var noGrad = no_grad();
        var converted = TensorLayout.Convert(kernel, channelsLast);
        if (!ReferenceEquals(converted, kernel))
        {
            using (converted)
            {
                kernel.set_(converted);
            }
        }
    }
}

internal sealed class Conv2DModule : LayerModule
{
    private readonly string _kernelName;
    private readonly bool _useBias;
    private readonly ConvolutionWindow _window;
    private readonly long _groups;
    private readonly Activation _activation;

    public Conv2DModule(string name, ConvolutionSpec spec, WindowPadding padding, Generator? generator)
        : base(name)
    {
        _kernelName = spec.KernelName;
        AddParameter(spec.KernelName, spec.KernelShape, spec.KernelInitializer, spec.FanIn, spec.FanOut, generator);
        _useBias = spec.UseBias;
        if (_useBias)
        {
            AddParameter("bias", [spec.Filters], spec.BiasInitializer, spec.Filters, spec.Filters, generator);
        }

        _window = new ConvolutionWindow(spec.Strides, spec.DilationRate, padding);
        _groups = spec.Groups;
        _activation = spec.Activation;
    }

    internal override void ApplyLayout(bool channelsLast) => ConvolutionWindow.ApplyLayout(Param(_kernelName), channelsLast);

    public override Tensor forward(Tensor input)
    {
        if (t_standalone)
        {
            // This call came from InvokeStandalone (through Module.call, so that hooks see it).
            t_standalone = false;
            return ForwardStandalone(input, beforeActivation: false);
        }

        return ForwardEager(input);
    }

    private Tensor ForwardEager(Tensor input)
    {
        using var z = ForwardBeforeActivation(input);
        return Activate(z, _activation);
    }

    internal override Tensor ForwardBeforeActivation(Tensor input)
    {
        using var x = CastForCompute(input);
        using var kernel = CastForCompute(Param(_kernelName));
        using var bias = _useBias ? CastForCompute(Param("bias")) : null;
        return _window.Convolve(x, kernel, bias, _groups);
    }

    /// <summary>
    /// Gets a value indicating whether a batch normalization that reads this layer's output can be folded into its
    /// kernel and bias (<see cref="ForwardFoldingBatchNorm"/>): the layer has no activation of its own, and libtorch's
    /// version counters can be read (without them a cached fold could not notice changed weights).
    /// </summary>
    internal bool CanFoldBatchNorm => _activation == Activation.Linear && TensorVersion.IsAvailable;

    /// <summary>
    /// Computes <paramref name="batchNorm"/>(this layer(<paramref name="input"/>)) in one convolution, with the batch
    /// normalization in inference mode folded into the kernel and bias (kernel · scale, (bias − mean) · scale + beta,
    /// per filter, folded in float64 and then cast to the compute type). The folded tensors are kept and rebuilt when a
    /// tensor they came from changed (libtorch version counter or identity), when the batch normalization updated its
    /// moving averages, or when the compute type or the kernel's layout changed. Only the graph executor calls this,
    /// without autograd and only when this layer's own value is not needed.
    /// </summary>
    /// <param name="input">The layer's input; not disposed.</param>
    /// <param name="batchNorm">The batch normalization reading this layer's output, using its moving averages.</param>
    /// <returns>The batch normalization's output (in the compute type); the caller owns it.</returns>
    internal Tensor ForwardFoldingBatchNorm(Tensor input, BatchNormModule batchNorm)
    {
        Tensor foldedKernel, foldedBias;
        lock (_foldLock)
        {
            // Concurrent predictions share the cache: each takes aliases, which stay valid if another thread rebuilds it.
            var folded = CurrentFold(batchNorm);
            foldedKernel = folded.Kernel.alias();
            foldedBias = folded.Bias!.alias();
        }

        using (foldedKernel)
        using (foldedBias)
        using (var x = CastForCompute(input))
        {
            return _window.Convolve(x, foldedKernel, foldedBias, _groups);
        }
    }

    /// <summary>
    /// Computes, in one call, <paramref name="batchNorm"/>(this layer(<paramref name="input"/>)) as
    /// <see cref="ForwardFoldingBatchNorm"/> does, then adds <paramref name="addend"/> (a residual connection) and applies
    /// ReLU, each when given: what the graph executor fuses when the batch normalization's and the addition's values are
    /// needed by nothing else. On a CPU with oneDNN (see <see cref="OneDnnConvolution"/>), with a channels-last input in
    /// float32 or bfloat16 and one group, the folded kernel is reordered once per input shape into
    /// oneDNN's layout (kept with the folded weights and rebuilt with them) and the addition and ReLU run inside the
    /// convolution. Otherwise the folded convolution runs as in <see cref="ForwardFoldingBatchNorm"/> and the addition and
    /// ReLU are applied in place to its output, which gives exactly the values of the separate layers. Only the graph
    /// executor calls this, without autograd.
    /// </summary>
    /// <param name="input">The layer's input; not disposed.</param>
    /// <param name="batchNorm">The batch normalization reading this layer's output, using its moving averages.</param>
    /// <param name="addend">The other input of an addition that reads the batch normalization's output, or <see langword="null"/>; not disposed.</param>
    /// <param name="relu">Whether a ReLU follows.</param>
    /// <returns>The value after the last fused step; the caller owns it.</returns>
    internal Tensor ForwardFused(Tensor input, BatchNormModule batchNorm, Tensor? addend, bool relu)
    {
        if (addend is not null || relu)
        {
            Interlocked.Increment(ref _fusedCalls);
        }

        FoldedConvolution? folded = null;
        Tensor? packed = null;
        using var x = CastForCompute(input);
        using var padded = CanRunPrepacked(x) ? _window.PadAsymmetric(x) : null;
        if (padded is not null && (addend is null || AddendFits(padded, addend)))
        {
            lock (_foldLock)
            {
                folded = CurrentFold(batchNorm);
                packed = folded.Prepacked(padded, _window);
                if (packed is not null)
                {
                    folded.Users++;
                }
            }
        }

        if (packed is null)
        {
            var y = ForwardFoldingBatchNorm(x, batchNorm);
            return ApplyInPlace(y, addend, relu);
        }

        try
        {
            return _window.ConvolvePrepacked(padded!, packed, folded!.Kernel, folded.Bias, addend, relu);
        }
        finally
        {
            lock (_foldLock)
            {
                folded!.Release();
            }
        }
    }

    /// <summary>
    /// Computes this layer by itself, as <see cref="LayerModule.Invoke"/> does (or <see cref="ForwardBeforeActivation"/>
    /// when <paramref name="beforeActivation"/>), with its own kernel reordered once for oneDNN: what the graph executor
    /// runs in inference for a convolution it does not fold (its value requested, or no batch normalization after it).
    /// On a CPU with oneDNN (see <see cref="OneDnnConvolution"/>), with a channels-last input in float32 or bfloat16
    /// and one group, the kernel (in the compute type and the kernel's layout) is prepacked once per input shape, kept,
    /// and rebuilt exactly when a folded kernel would be (the kernel or bias changed, by version counter or identity,
    /// or the compute type or the kernel's layout changed); the bias is added and a ReLU activation applied in the same
    /// oneDNN call, any other activation afterwards as <c>forward</c> does. That is the oneDNN convolution eager
    /// <c>conv2d</c> runs, with the same values; in float32 it is used only where eager <c>conv2d</c> uses oneDNN too
    /// (see <see cref="ConvolutionWindow.EagerUsesOneDnn"/>). Otherwise, or past the cache's input shapes, the layer
    /// runs as usual. Hooks see the call as any other (it goes through <c>Module.call</c> unless it stops before the
    /// activation, which never did). Only the graph executor calls this, without autograd.
    /// </summary>
    /// <param name="input">The layer's input; not disposed.</param>
    /// <param name="beforeActivation">Whether to stop before the activation.</param>
    /// <returns>The layer's value (before its activation when asked); the caller owns it.</returns>
    internal Tensor InvokeStandalone(Tensor input, bool beforeActivation)
    {
        if (beforeActivation)
        {
            return ForwardStandalone(input, beforeActivation: true);
        }

        t_standalone = true;
        try
        {
            return call(input);
        }
        finally
        {
            t_standalone = false;
        }
    }

    /// <summary>The body of <see cref="InvokeStandalone"/>.</summary>
    private Tensor ForwardStandalone(Tensor input, bool beforeActivation)
    {
        FoldedConvolution? own = null;
        Tensor? packed = null;
        using var x = CastForCompute(input);
        using var padded = CanRunPrepacked(x) ? _window.PadAsymmetric(x) : null;
        if (padded is not null && (padded.dtype != ScalarType.Float32 || _window.EagerUsesOneDnn(padded.shape, Param(_kernelName).shape)))
        {
            lock (_foldLock)
            {
                own = CurrentFold(null);
                packed = own.Prepacked(padded, _window);
                if (packed is not null)
                {
                    own.Users++;
                }
            }
        }

        if (packed is null)
        {
            if (own is null)
            {
                // Not prepacked at all (layout, type or shape): prepacked kernels of an older layout or type are not kept.
                DropStaleOwnWeights();
            }

            return beforeActivation ? ForwardBeforeActivation(input) : ForwardEager(input);
        }

        Interlocked.Increment(ref _standaloneCalls);
        var relu = !beforeActivation && _activation == Activation.ReLU;
        Tensor z;
        try
        {
            z = _window.ConvolvePrepacked(padded!, packed, own!.Kernel, own.Bias, null, relu);
        }
        finally
        {
            lock (_foldLock)
            {
                own!.Release();
            }
        }

        if (beforeActivation || relu || _activation == Activation.Linear)
        {
            return z;
        }

        using (z)
        {
            return Activate(z, _activation);
        }
    }

    /// <summary>Gets how many <see cref="ForwardFused"/> calls also computed an addition or a ReLU (for tests: that the executor fused them).</summary>
    internal long FusedCalls => Interlocked.Read(ref _fusedCalls);

    /// <summary>Gets how many <see cref="InvokeStandalone"/> calls ran the prepacked oneDNN convolution (for tests: that the executor used it).</summary>
    internal long StandaloneCalls => Interlocked.Read(ref _standaloneCalls);

    /// <summary>Gets a value indicating whether this layer's own kernel, prepacked for oneDNN (or plain where the prepacked one failed its check), is currently kept (for tests: that <see cref="InvokeStandalone"/> prepacked it).</summary>
    internal bool HoldsPrepackedOwnWeights
    {
        get
        {
            lock (_foldLock)
            {
                return _own is { HasPrepacked: true };
            }
        }
    }

    /// <summary>Gets a value indicating whether a kernel prepacked for oneDNN (or the plain folded kernel where the prepacked one failed its check, see <see cref="FoldedConvolution.Prepacked"/>) is currently kept (for tests: that the prepacked path ran).</summary>
    internal bool HoldsPrepackedWeights
    {
        get
        {
            lock (_foldLock)
            {
                return _folded is { HasPrepacked: true };
            }
        }
    }

    /// <summary>Gets a value indicating whether folded weights are currently kept (for tests: that a fold took place).</summary>
    internal bool HoldsFoldedWeights
    {
        get
        {
            lock (_foldLock)
            {
                return _folded is not null;
            }
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_foldLock)
            {
                _folded?.Retire();
                _folded = null;
                _own?.Retire();
                _own = null;
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Adds <paramref name="addend"/> to and applies ReLU to <paramref name="y"/> (a result this call owns) in place where that gives the separate layers' values.</summary>
    private static Tensor ApplyInPlace(Tensor y, Tensor? addend, bool relu)
    {
        if (addend is not null)
        {
            if (addend.dtype == y.dtype && addend.shape.SequenceEqual(y.shape))
            {
                y.add_(addend, Scalars.One);
            }
            else
            {
                // Type promotion or broadcasting: the addition layer's own result.
                using var sum = y;
                y = sum.add(addend, Scalars.One);
            }
        }

        if (relu)
        {
            y.relu_();
        }

        return y;
    }

    /// <summary>
    /// Gets the folded weights for <paramref name="batchNorm"/>, or this layer's own weights in the compute type when it is
    /// <see langword="null"/> (each kept in its own slot, so a plain prediction and an every-value pass do not evict each
    /// other), rebuilt when a tensor they came from, the compute type or the kernel's layout changed; call under
    /// <see cref="_foldLock"/>.
    /// </summary>
    private FoldedConvolution CurrentFold(BatchNormModule? batchNorm)
    {
        var kernel = Param(_kernelName);
        var sources = FoldSources(kernel, batchNorm);
        ref var slot = ref batchNorm is null ? ref _own : ref _folded;
        if (slot is null || !slot.IsCurrent(batchNorm, sources, ComputeType, TensorLayout.IsChannelsLast(kernel)))
        {
            slot?.Retire();
            slot = null;
            slot = FoldedConvolution.Create(batchNorm, sources, ComputeType, kernel, _useBias ? Param("bias") : null);
        }

        return slot;
    }

    /// <summary>The tensors folded weights are made from (whose identity and version say whether they are current): the kernel, the bias, the batch normalization's.</summary>
    private Tensor[] FoldSources(Tensor kernel, BatchNormModule? batchNorm) =>
        [kernel, .. _useBias ? [Param("bias")] : Array.Empty<Tensor>(), .. batchNorm?.FoldSources() ?? []];

    /// <summary>Disposes (or retires, if a call still uses it) this layer's own prepacked weights when they no longer match its kernel, bias, compute type or layout.</summary>
    private void DropStaleOwnWeights()
    {
        lock (_foldLock)
        {
            if (_own is null)
            {
                return;
            }

            var kernel = Param(_kernelName);
            if (!_own.IsCurrent(null, FoldSources(kernel, null), ComputeType, TensorLayout.IsChannelsLast(kernel)))
            {
                _own.Retire();
                _own = null;
            }
        }
    }

    /// <summary>Whether <paramref name="x"/> (in the compute type) suits oneDNN's prepacked convolution.</summary>
    private bool CanRunPrepacked(Tensor x) =>
        _groups == 1 && x.device_type == TorchSharp.DeviceType.CPU && x.Dimensions == 4 &&
        x.dtype is (ScalarType.Float32 or ScalarType.BFloat16) && TensorLayout.IsChannelsLast(x) && OneDnnConvolution.IsAvailable;

    /// <summary>Whether <paramref name="addend"/> can be added inside the convolution of <paramref name="padded"/>: same type, device and output shape.</summary>
    private bool AddendFits(Tensor padded, Tensor addend) =>
        addend.dtype == padded.dtype && addend.device_type == TorchSharp.DeviceType.CPU && addend.shape.SequenceEqual(_window.OutputShape(padded.shape, Param(_kernelName).shape));

    /// <summary>Set by <see cref="InvokeStandalone"/> around <c>Module.call</c>: the next <see cref="forward"/> on this thread runs <see cref="ForwardStandalone"/>.</summary>
    [ThreadStatic]
    private static bool t_standalone;

    private readonly Lock _foldLock = new();
    private FoldedConvolution? _folded;
    private FoldedConvolution? _own;
    private long _fusedCalls;
    private long _standaloneCalls;

    /// <summary>
    /// A convolution's kernel and bias with a batch normalization folded in (or, without one, the layer's own kernel and
    /// bias in the compute type: a fold of nothing), what they were made from, and the kernel prepacked for oneDNN per
    /// input shape. Its owner's lock guards it: calls that use a prepacked kernel count themselves in
    /// <see cref="Users"/>, and a replaced instance is disposed when the last of them is done.
    /// </summary>
    private sealed class FoldedConvolution
    {
        // Inference usually sees one or two batch sizes; past this many shapes, further ones use the unpacked kernel.
        private const int MaxPrepackedShapes = 4;

        private readonly Dictionary<(long N, long C, long H, long W), Tensor> _prepacked = [];
        private bool _retired;

        private readonly BatchNormModule? _batchNorm;
        private readonly Tensor[] _sources;
        private readonly long[] _versions;
        private readonly long _statisticsUpdates;
        private readonly ScalarType _computeType;
        private readonly bool _channelsLast;

        private FoldedConvolution(BatchNormModule? batchNorm, Tensor[] sources, ScalarType computeType, bool channelsLast, Tensor kernel, Tensor? bias)
        {
            _batchNorm = batchNorm;
            _sources = sources;
            _versions = [.. sources.Select(TensorVersion.Read)];
            _statisticsUpdates = batchNorm?.StatisticsUpdates ?? 0;
            _computeType = computeType;
            _channelsLast = channelsLast;
            Kernel = kernel;
            Bias = bias;
        }

        public Tensor Kernel { get; }

        /// <summary>Gets the bias; <see langword="null"/> only for a layer without bias and without a batch normalization.</summary>
        public Tensor? Bias { get; }

        /// <summary>Gets or sets how many calls are using a prepacked kernel of this instance.</summary>
        public int Users { get; set; }

        /// <summary>Gets a value indicating whether a kernel for oneDNN's convolution is kept for at least one input shape (reordered, or plain where the reordered one failed its check).</summary>
        public bool HasPrepacked => _prepacked.Count > 0;

        /// <summary>
        /// Returns the kernel prepacked for inputs of <paramref name="padded"/>'s shape (made on first use), or
        /// <see langword="null"/> past <see cref="MaxPrepackedShapes"/> shapes. A new prepacked kernel is checked once on
        /// <paramref name="padded"/> against the plain kernel in the same oneDNN convolution; where they disagree (seen
        /// with bfloat16 kernels of few channels on AVX-512 BF16 CPUs, where libtorch's reorder gives a layout the
        /// convolution reads wrongly) the plain kernel is kept for that shape instead, which oneDNN reorders on each call.
        /// </summary>
        public Tensor? Prepacked(Tensor padded, ConvolutionWindow window)
        {
            var inputShape = padded.shape;
            var key = (inputShape[0], inputShape[1], inputShape[2], inputShape[3]);
            if (!_prepacked.TryGetValue(key, out var packed))
            {
                if (_prepacked.Count >= MaxPrepackedShapes)
                {
                    return null;
                }

                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                packed = window.Prepack(Kernel, inputShape);
                if (!window.PrepackedAgrees(padded, packed, Kernel, Bias))
                {
                    packed = Kernel.alias();
                }

                _prepacked[key] = packed.DetachFromDisposeScope();
            }

            return packed;
        }

        /// <summary>Marks this instance replaced: it is disposed now, or when the last call using it releases it.</summary>
        public void Retire()
        {
            _retired = true;
            if (Users == 0)
            {
                Dispose();
            }
        }

        public void Release()
        {
            Users--;
            if (_retired && Users == 0)
            {
                Dispose();
            }
        }

        /// <summary>
        /// Folds <paramref name="batchNorm"/> into <paramref name="kernel"/> and <paramref name="bias"/>; without a batch
        /// normalization, takes them as they are in <paramref name="computeType"/> (aliases of the parameters in their own
        /// type, which the version counters in <paramref name="sources"/> watch).
        /// </summary>
        public static FoldedConvolution Create(BatchNormModule? batchNorm, Tensor[] sources, ScalarType computeType, Tensor kernel, Tensor? bias)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var channelsLast = TensorLayout.IsChannelsLast(kernel);
            if (batchNorm is null)
            {
                var own = TensorLayout.Convert(kernel.detach().to_type(computeType), channelsLast);
                var ownBias = bias?.detach().to_type(computeType);
                return new FoldedConvolution(null, sources, computeType, channelsLast, own.DetachFromDisposeScope(), ownBias?.DetachFromDisposeScope());
            }

            var (scale, shift) = batchNorm.ScaleAndShift();
            var folded = kernel.to_type(ScalarType.Float64).mul(scale.view(-1, 1, 1, 1)).to_type(computeType);
            folded = TensorLayout.Convert(folded, channelsLast);
            var foldedBias = bias is null ? shift : bias.to_type(ScalarType.Float64).mul(scale).add(shift, Scalars.One);
            foldedBias = foldedBias.to_type(computeType);
            return new FoldedConvolution(batchNorm, sources, computeType, channelsLast, folded.DetachFromDisposeScope(), foldedBias.DetachFromDisposeScope());
        }

        public bool IsCurrent(BatchNormModule? batchNorm, Tensor[] sources, ScalarType computeType, bool channelsLast)
        {
            if (!ReferenceEquals(batchNorm, _batchNorm) || computeType != _computeType || channelsLast != _channelsLast ||
                (batchNorm?.StatisticsUpdates ?? 0) != _statisticsUpdates || sources.Length != _sources.Length)
            {
                return false;
            }

            for (var k = 0; k < sources.Length; k++)
            {
                if (!ReferenceEquals(sources[k], _sources[k]) || TensorVersion.Read(sources[k]) != _versions[k])
                {
                    return false;
                }
            }

            return true;
        }

        private void Dispose()
        {
            Kernel.Dispose();
            Bias?.Dispose();
            foreach (var packed in _prepacked.Values)
            {
                packed.Dispose();
            }

            _prepacked.Clear();
        }
    }
}
