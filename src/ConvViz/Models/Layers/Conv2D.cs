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
        return nn.functional.conv2d(padded ?? x, kernel, bias, _strides, _convPadding, _dilation, groups);
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
        var kernel = Param(_kernelName);
        Tensor[] sources = [kernel, .. _useBias ? [Param("bias")] : Array.Empty<Tensor>(), .. batchNorm.FoldSources()];
        Tensor foldedKernel, foldedBias;
        lock (_foldLock)
        {
            // Concurrent predictions share the cache: each takes aliases, which stay valid if another thread rebuilds it.
            if (_folded is null || !_folded.IsCurrent(batchNorm, sources, ComputeType, TensorLayout.IsChannelsLast(kernel)))
            {
                _folded?.Dispose();
                _folded = null;
                _folded = FoldedConvolution.Create(batchNorm, sources, ComputeType, kernel, _useBias ? Param("bias") : null);
            }

            foldedKernel = _folded.Kernel.alias();
            foldedBias = _folded.Bias.alias();
        }

        using (foldedKernel)
        using (foldedBias)
        using (var x = CastForCompute(input))
        {
            return _window.Convolve(x, foldedKernel, foldedBias, _groups);
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
            _folded?.Dispose();
            _folded = null;
        }

        base.Dispose(disposing);
    }

    private readonly Lock _foldLock = new();
    private FoldedConvolution? _folded;

    /// <summary>A convolution's kernel and bias with a batch normalization folded in, and what they were made from.</summary>
    private sealed class FoldedConvolution : IDisposable
    {
        private readonly BatchNormModule _batchNorm;
        private readonly Tensor[] _sources;
        private readonly long[] _versions;
        private readonly long _statisticsUpdates;
        private readonly ScalarType _computeType;
        private readonly bool _channelsLast;

        private FoldedConvolution(BatchNormModule batchNorm, Tensor[] sources, ScalarType computeType, bool channelsLast, Tensor kernel, Tensor bias)
        {
            _batchNorm = batchNorm;
            _sources = sources;
            _versions = [.. sources.Select(TensorVersion.Read)];
            _statisticsUpdates = batchNorm.StatisticsUpdates;
            _computeType = computeType;
            _channelsLast = channelsLast;
            Kernel = kernel;
            Bias = bias;
        }

        public Tensor Kernel { get; }

        public Tensor Bias { get; }

        public static FoldedConvolution Create(BatchNormModule batchNorm, Tensor[] sources, ScalarType computeType, Tensor kernel, Tensor? bias)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var channelsLast = TensorLayout.IsChannelsLast(kernel);
            var (scale, shift) = batchNorm.ScaleAndShift();
            var folded = kernel.to_type(ScalarType.Float64).mul(scale.view(-1, 1, 1, 1)).to_type(computeType);
            folded = TensorLayout.Convert(folded, channelsLast);
            var foldedBias = bias is null ? shift : bias.to_type(ScalarType.Float64).mul(scale).add(shift, Scalars.One);
            foldedBias = foldedBias.to_type(computeType);
            return new FoldedConvolution(batchNorm, sources, computeType, channelsLast, folded.DetachFromDisposeScope(), foldedBias.DetachFromDisposeScope());
        }

        public bool IsCurrent(BatchNormModule batchNorm, Tensor[] sources, ScalarType computeType, bool channelsLast)
        {
            if (!ReferenceEquals(batchNorm, _batchNorm) || computeType != _computeType || channelsLast != _channelsLast ||
                batchNorm.StatisticsUpdates != _statisticsUpdates || sources.Length != _sources.Length)
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

        public void Dispose()
        {
            Kernel.Dispose();
            Bias.Dispose();
        }
    }
}
