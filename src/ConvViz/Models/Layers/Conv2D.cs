// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>A 2-D convolution layer (Keras <c>layer_conv_2d</c> / <c>Conv2D</c>) with its arguments.</summary>
[LayerType("Conv2D", "conv2d")]
public sealed record Conv2DOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="true"/>: the kernel is [filters, input channels, kernel height, kernel width].</value>
    public override bool HasFilters => true;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the number of output channels (Keras <c>filters</c>); at least 1.</summary>
    /// <value>There is no default; the value is required.</value>
    public required int Filters { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Filters)); field = value; } }

    /// <summary>Gets the kernel height and width; <c>3</c> or <c>(3, 5)</c>.</summary>
    /// <value>There is no default; the value is required.</value>
    public required Size2D KernelSize { get; init { ThrowIfEmpty(value, nameof(KernelSize)); field = value; } }

    /// <summary>Gets the strides.</summary>
    /// <value>The default value is 1 × 1.</value>
    public Size2D Strides { get; init { ThrowIfEmpty(value, nameof(Strides)); field = value; } } = 1;

    /// <summary>Gets the padding.</summary>
    /// <value>The default value is <see cref="Padding.Valid"/>.</value>
    public Padding Padding { get; init { ThrowIfUndefined(value, nameof(Padding)); field = value; } } = Padding.Valid;

    /// <summary>Gets the dilation rate. As in Keras, a rate above 1 cannot be combined with strides above 1.</summary>
    /// <value>The default value is 1 × 1.</value>
    public Size2D DilationRate { get; init { ThrowIfEmpty(value, nameof(DilationRate)); field = value; } } = 1;

    /// <summary>Gets the activation applied to the output.</summary>
    /// <value>The default value is <see cref="Activation.Linear"/>, as Keras.</value>
    public Activation Activation { get; init { ThrowIfUndefined(value, nameof(Activation)); field = value; } } = Activation.Linear;

    /// <summary>Gets a value indicating whether the layer adds a bias.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseBias { get; init; } = true;

    /// <summary>Gets the kernel initializer.</summary>
    /// <value>The default value is <see cref="Initializer.GlorotUniform"/>, as Keras.</value>
    public Initializer KernelInitializer { get; init { ThrowIfUndefined(value, nameof(KernelInitializer)); field = value; } } = Initializer.GlorotUniform;

    /// <summary>Gets the bias initializer.</summary>
    /// <value>The default value is <see cref="Initializer.Zeros"/>, as Keras.</value>
    public Initializer BiasInitializer { get; init { ThrowIfUndefined(value, nameof(BiasInitializer)); field = value; } } = Initializer.Zeros;

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
    }

    internal override LayerDefinition Define(LayerContext context)
    {
        var input = context.RequireSpatial();
        var (outH, outW, padding) = ConvolutionGeometry.Resolve(context, input, KernelSize, Strides, DilationRate, Padding, Filters);
        long receptive = (long)KernelSize.Height * KernelSize.Width;
        var spec = new ConvolutionSpec(
            "kernel", Filters, input.Channels, Groups: 1, KernelSize, Strides, DilationRate, Activation, UseBias, KernelInitializer, BiasInitializer,
            FanIn: receptive * input.Channels, FanOut: receptive * Filters);
        return new LayerDefinition(new LayerShape(outH, outW, Filters), spec.Tensors(), g => new Conv2DModule(context.Name, spec, padding, g));
    }
}

/// <summary>
/// The output size and padding of a 2-D convolution window (Conv2D, DepthwiseConv2D), with the errors that name the
/// layer: strides combined with dilation, or a kernel that does not fit.
/// </summary>
internal static class ConvolutionGeometry
{
    public static (int Height, int Width, WindowPadding Padding) Resolve(LayerContext context, LayerShape input, Size2D k, Size2D s, Size2D d, Padding padding, int outChannels)
    {
        if ((s.Height > 1 || s.Width > 1) && (d.Height > 1 || d.Width > 1))
        {
            throw context.ShapeError($"strides {s} cannot be combined with dilation rate {d} (Keras allows only one of them above 1)");
        }

        var outH = ConvArithmetic.OutputSize(input.Height, k.Height, s.Height, d.Height, padding);
        var outW = ConvArithmetic.OutputSize(input.Width, k.Width, s.Width, d.Width, padding);
        if (outH < 1 || outW < 1)
        {
            var extent = $"{ConvArithmetic.EffectiveKernel(k.Height, d.Height)}×{ConvArithmetic.EffectiveKernel(k.Width, d.Width)}";
            throw context.ShapeError(
                $"a {k} kernel (extent {extent} with dilation {d}) does not fit a {input.Height}×{input.Width} input; the output would be {LayerContext.FormatShape(outH, outW, outChannels)}. Use a smaller kernel or Padding.Same");
        }

        return (checked((int)outH), checked((int)outW), context.WindowPaddingFor(k, s, d, padding));
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

internal sealed class Conv2DModule : LayerModule
{
    private readonly string _kernelName;
    private readonly bool _useBias;
    private readonly long[] _strides;
    private readonly long[] _convPadding;
    private readonly long[]? _explicitPadding;
    private readonly long[] _dilation;
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

        _strides = [spec.Strides.Height, spec.Strides.Width];
        _dilation = [spec.DilationRate.Height, spec.DilationRate.Width];
        _groups = spec.Groups;
        if (padding.IsSymmetric)
        {
            _convPadding = [padding.Top, padding.Left];
        }
        else
        {
            _convPadding = [0, 0];
            _explicitPadding = padding.ToPadArgument();
        }

        _activation = spec.Activation;
    }

    internal override void ApplyLayout(MemoryLayout layout)
    {
        using var noGrad = no_grad();
        var kernel = Param(_kernelName);
        var converted = TensorLayout.Convert(kernel, layout);
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
        using var kernel = CastForCompute(Param(_kernelName));
        using var bias = _useBias ? CastForCompute(Param("bias")) : null;
        using var padded = _explicitPadding is null ? null : nn.functional.pad(x, _explicitPadding);
        return nn.functional.conv2d(padded ?? x, kernel, bias, _strides, _convPadding, _dilation, _groups);
    }
}
