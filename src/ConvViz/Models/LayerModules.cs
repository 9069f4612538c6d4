// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// Base of the TorchSharp modules that implement ConvViz layers (one module per Keras layer). Parameters and buffers
/// are looked up by name at each call, so they stay valid after the module moves to another device.
/// </summary>
internal abstract class LayerModule : nn.Module<Tensor, Tensor>
{
    protected LayerModule(string name)
        : base(name)
    {
    }

    /// <summary>
    /// Gets or sets the type that convolutions and dense layers compute in (set by <see cref="Model.Precision"/>).
    /// Parameters always stay float32: with bfloat16 they are cast inside <c>forward</c>, so autograd carries the
    /// gradients back to the float32 master weights.
    /// </summary>
    internal ScalarType ComputeType { get; set; } = ScalarType.Float32;

    /// <summary>Lays out this layer's parameters in <paramref name="layout"/> in place; layers without kernels do nothing.</summary>
    internal virtual void ApplyLayout(MemoryLayout layout)
    {
    }

    /// <summary>
    /// Runs the layer without its final activation (the score before softmax or sigmoid), for attribution methods that
    /// differentiate the class score rather than the saturating probability. Layers without an activation run as usual;
    /// a standalone activation layer returns its input.
    /// </summary>
    /// <param name="input">The input; not disposed.</param>
    /// <returns>A tensor the caller owns.</returns>
    internal virtual Tensor ForwardBeforeActivation(Tensor input) => forward(input);

    /// <summary>Returns <paramref name="x"/> in <see cref="ComputeType"/>: a cast copy, or an alias when it already is; the caller owns it.</summary>
    protected Tensor CastForCompute(Tensor x) => x.dtype == ComputeType ? x.alias() : x.to_type(ComputeType);

    /// <summary>Applies a fused activation; sigmoid and softmax run in float32 (probabilities feed the loss), the others in the compute type.</summary>
    protected static Tensor Activate(Tensor z, Activation activation)
    {
        if (z.dtype != ScalarType.Float32 && activation is Activation.Softmax or Activation.Sigmoid)
        {
            using var wide = z.to_type(ScalarType.Float32);
            return ActivationFunctions.Apply(wide, activation);
        }

        return ActivationFunctions.Apply(z, activation);
    }

    /// <summary>Creates, initializes and registers a trainable parameter.</summary>
    protected void AddParameter(string name, long[] shape, Initializer initializer, long fanIn, long fanOut, Generator? generator)
    {
        var parameter = new Parameter(empty(shape));
        Initializers.Fill(parameter, initializer, fanIn, fanOut, generator);
        register_parameter(name, parameter);
    }

    /// <summary>Gets a registered parameter.</summary>
    protected Parameter Param(string name) => get_parameter(name) ?? throw new InvalidOperationException($"Layer '{GetName()}' has no parameter '{name}'.");

    /// <summary>Gets a registered buffer.</summary>
    protected Tensor Buffer(string name) => get_buffer(name) ?? throw new InvalidOperationException($"Layer '{GetName()}' has no buffer '{name}'.");
}

/// <summary>Explicit padding (left, right, top, bottom) for windows whose TensorFlow 'same' padding is asymmetric.</summary>
internal readonly record struct WindowPadding(int Top, int Bottom, int Left, int Right)
{
    public bool IsZero => Top == 0 && Bottom == 0 && Left == 0 && Right == 0;

    public bool IsSymmetric => Top == Bottom && Left == Right;

    public long[] ToPadArgument() => [Left, Right, Top, Bottom];
}

/// <summary>Conv2D with Keras' initializers and a fused activation. Parameters: <c>kernel</c> [out, in, kh, kw], <c>bias</c> [out].</summary>
internal sealed class Conv2DModule : LayerModule
{
    private readonly bool _useBias;
    private readonly long[] _strides;
    private readonly long[] _convPadding;
    private readonly long[]? _explicitPadding;
    private readonly long[] _dilation;
    private readonly Activation _activation;

    public Conv2DModule(string name, int inChannels, Conv2DOptions options, WindowPadding padding, Generator? generator)
        : base(name)
    {
        var (kh, kw) = (options.KernelSize.Height, options.KernelSize.Width);
        long receptive = (long)kh * kw;
        AddParameter("kernel", [options.Filters, inChannels, kh, kw], options.KernelInitializer, receptive * inChannels, receptive * options.Filters, generator);
        _useBias = options.UseBias;
        if (_useBias)
        {
            AddParameter("bias", [options.Filters], options.BiasInitializer, options.Filters, options.Filters, generator);
        }

        _strides = [options.Strides.Height, options.Strides.Width];
        _dilation = [options.DilationRate.Height, options.DilationRate.Width];
        if (padding.IsSymmetric)
        {
            _convPadding = [padding.Top, padding.Left];
        }
        else
        {
            _convPadding = [0, 0];
            _explicitPadding = padding.ToPadArgument();
        }

        _activation = options.Activation;
    }

    /// <summary>Gets the kernel [out, in, kh, kw] (read by filter visualisations).</summary>
    public Parameter Kernel => Param("kernel");

    /// <summary>Stores the kernel with channels-last strides (or contiguous), so libtorch's convolution keeps that layout through the network.</summary>
    internal override void ApplyLayout(MemoryLayout layout)
    {
        using var noGrad = no_grad();
        var kernel = Param("kernel");
        var converted = Model.ToLayout(kernel, layout);
        if (!ReferenceEquals(converted, kernel))
        {
            using (converted)
            {
                kernel.set_(converted);
            }
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var z = ForwardBeforeActivation(input);
        return Activate(z, _activation);
    }

    internal override Tensor ForwardBeforeActivation(Tensor input)
    {
        using var x = CastForCompute(input);
        using var kernel = CastForCompute(Param("kernel"));
        using var bias = _useBias ? CastForCompute(Param("bias")) : null;
        using var padded = _explicitPadding is null ? null : nn.functional.pad(x, _explicitPadding);
        return nn.functional.conv2d(padded ?? x, kernel, bias, _strides, _convPadding, _dilation);
    }
}

/// <summary>Max pooling; 'same' padding pads with −∞ so padded positions never win.</summary>
internal sealed class MaxPool2DModule : LayerModule
{
    private readonly long[] _pool;
    private readonly long[] _strides;
    private readonly long[]? _padding;

    public MaxPool2DModule(string name, Size2D pool, Size2D strides, WindowPadding padding)
        : base(name)
    {
        _pool = [pool.Height, pool.Width];
        _strides = [strides.Height, strides.Width];
        _padding = padding.IsZero ? null : padding.ToPadArgument();
    }

    public override Tensor forward(Tensor input)
    {
        using var padded = _padding is null ? null : nn.functional.pad(input, _padding, value: double.NegativeInfinity);
        return nn.functional.max_pool2d(padded ?? input, _pool, _strides);
    }
}

/// <summary>Average pooling; with 'same' padding each output averages only the real (unpadded) positions, as TensorFlow.</summary>
internal sealed class AvgPool2DModule : LayerModule
{
    private readonly (long, long) _pool;
    private readonly (long, long) _strides;
    private readonly long[]? _padding;

    public AvgPool2DModule(string name, Size2D pool, Size2D strides, WindowPadding padding)
        : base(name)
    {
        _pool = (pool.Height, pool.Width);
        _strides = (strides.Height, strides.Width);
        _padding = padding.IsZero ? null : padding.ToPadArgument();
    }

    public override Tensor forward(Tensor input)
    {
        if (_padding is null)
        {
            return nn.functional.avg_pool2d(input, _pool, _strides);
        }

        using var scope = NewDisposeScope();
        var sums = nn.functional.avg_pool2d(nn.functional.pad(input, _padding), _pool, _strides);
        var mask = ones([1, 1, input.shape[2], input.shape[3]], input.dtype, input.device);
        var counts = nn.functional.avg_pool2d(nn.functional.pad(mask, _padding), _pool, _strides);
        return sums.div(counts).MoveToOuterDisposeScope();
    }
}

/// <summary>Global average or max pooling over the spatial axes: [N, C, H, W] to [N, C].</summary>
internal sealed class GlobalPool2DModule : LayerModule
{
    private readonly bool _max;

    public GlobalPool2DModule(string name, bool max)
        : base(name)
    {
        _max = max;
    }

    public override Tensor forward(Tensor input) => _max ? input.amax([2, 3]) : input.mean([2, 3]);
}

/// <summary>Flattens [N, C, H, W] to [N, H·W·C] in Keras' channels-last order (channel fastest), so weights match Keras.</summary>
internal sealed class FlattenModule : LayerModule
{
    public FlattenModule(string name)
        : base(name)
    {
    }

    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4)
        {
            return input.flatten(1);
        }

        using var channelsLast = input.permute(0, 2, 3, 1);
        return channelsLast.flatten(1);
    }
}

/// <summary>Dense with Keras' initializers and a fused activation. Parameters: <c>kernel</c> [out, in], <c>bias</c> [out].</summary>
internal sealed class DenseModule : LayerModule
{
    private readonly bool _useBias;
    private readonly Activation _activation;

    public DenseModule(string name, int inFeatures, DenseOptions options, Generator? generator)
        : base(name)
    {
        AddParameter("kernel", [options.Units, inFeatures], options.KernelInitializer, inFeatures, options.Units, generator);
        _useBias = options.UseBias;
        if (_useBias)
        {
            AddParameter("bias", [options.Units], options.BiasInitializer, options.Units, options.Units, generator);
        }

        _activation = options.Activation;
    }

    public override Tensor forward(Tensor input)
    {
        using var z = ForwardBeforeActivation(input);
        return Activate(z, _activation);
    }

    internal override Tensor ForwardBeforeActivation(Tensor input)
    {
        using var x = CastForCompute(input);
        using var kernel = CastForCompute(Param("kernel"));
        using var bias = _useBias ? CastForCompute(Param("bias")) : null;
        return nn.functional.linear(x, kernel, bias);
    }
}

/// <summary>Inverted dropout, active only in training mode.</summary>
internal sealed class DropoutModule : LayerModule
{
    private readonly double _rate;

    public DropoutModule(string name, double rate)
        : base(name)
    {
        _rate = rate;
    }

    public override Tensor forward(Tensor input) =>
        training && _rate > 0 ? nn.functional.dropout(input, _rate, training: true) : input.alias();
}

/// <summary>
/// Batch normalization over the channel (or feature) axis. Parameters: <c>gamma</c>, <c>beta</c>; buffers (not
/// trainable): <c>moving_mean</c>, <c>moving_variance</c>. Training mode normalizes with the batch statistics and
/// updates the moving averages with Keras' momentum (PyTorch momentum = 1 − Keras momentum); evaluation mode uses
/// the moving averages.
/// </summary>
internal sealed class BatchNormModule : LayerModule
{
    private readonly BatchNormalizationOptions _options;

    public BatchNormModule(string name, int channels, BatchNormalizationOptions options)
        : base(name)
    {
        _options = options;
        if (options.Scale)
        {
            AddParameter("gamma", [channels], Initializer.Ones, channels, channels, null);
        }

        if (options.Center)
        {
            AddParameter("beta", [channels], Initializer.Zeros, channels, channels, null);
        }

        register_buffer("moving_mean", zeros(channels));
        register_buffer("moving_variance", ones(channels));
    }

    /// <summary>Normalizes in float32 (as PyTorch's autocast does), whatever the compute type.</summary>
    public override Tensor forward(Tensor input)
    {
        using var wide = input.dtype == ScalarType.Float32 ? null : input.to_type(ScalarType.Float32);
        return nn.functional.batch_norm(
            wide ?? input,
            Buffer("moving_mean"),
            Buffer("moving_variance"),
            _options.Scale ? Param("gamma") : null,
            _options.Center ? Param("beta") : null,
            training,
            1 - _options.Momentum,
            _options.Epsilon);
    }
}

/// <summary>A standalone activation layer.</summary>
internal sealed class ActivationModule : LayerModule
{
    private readonly Activation _activation;

    public ActivationModule(string name, Activation activation)
        : base(name)
    {
        _activation = activation;
    }

    public override Tensor forward(Tensor input) => Activate(input, _activation);

    internal override Tensor ForwardBeforeActivation(Tensor input) => input.alias();
}
