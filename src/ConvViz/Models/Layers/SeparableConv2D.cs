// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// A depthwise separable 2-D convolution (Keras <c>layer_separable_conv_2d</c> / <c>SeparableConv2D</c>, the Xception and
/// MobileNet building block): a depthwise convolution (each input channel with its own <see cref="DepthMultiplier"/>
/// kernels, as <see cref="DepthwiseConv2DOptions"/>) followed by a pointwise 1 × 1 convolution to <see cref="Filters"/>
/// channels, then the bias and the activation.
/// </summary>
/// <remarks>
/// <para>Weights, in Keras' order: <c>depthwise_kernel</c> [channels × multiplier, 1, height, width] (Keras stores
/// [height, width, channels, multiplier]), <c>pointwise_kernel</c> [filters, channels × multiplier, 1, 1] (Keras: [1, 1,
/// channels × multiplier, filters]) and, with <see cref="ConvolutionOptions.UseBias"/>, <c>bias</c> [filters]. SeparableConv2D(32, 3) on 16
/// channels has 16 · 9 + 16 · 32 + 32 = 688 parameters, as in Keras. Glorot initialisation uses Keras' fans: height ×
/// width × channels in and height × width × multiplier out for the depthwise kernel, channels × multiplier in and
/// filters out for the pointwise kernel.</para>
/// <para><see cref="HasFilters"/> is <see langword="false"/>: the layer has no <c>kernel</c> [filters, input channels,
/// height, width] for <c>FilterGrid</c> to draw (its spatial kernels see one channel each, its pointwise kernel is 1 × 1),
/// so it is not the default Grad-CAM layer either; name it to use it there.</para>
/// </remarks>
[LayerType("SeparableConv2D", "separable_conv2d")]
public sealed record SeparableConv2DOptions : ConvolutionOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>: there is no [filters, input channels, h, w] kernel to draw (see the remarks).</value>
    public override bool HasFilters => false;

    /// <summary>Gets the number of output channels of the pointwise convolution (Keras <c>filters</c>); at least 1.</summary>
    /// <value>There is no default; the value is required.</value>
    public required int Filters { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Filters)); field = value; } }

    /// <summary>Gets the number of depthwise kernels per input channel (Keras <c>depth_multiplier</c>); at least 1.</summary>
    /// <value>The default value is 1.</value>
    public int DepthMultiplier { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(DepthMultiplier)); field = value; } } = 1;

    /// <summary>Gets the initializer of the depthwise kernel (Keras <c>depthwise_initializer</c>).</summary>
    /// <value>The default value is <see cref="Initializer.GlorotUniform"/>, as Keras.</value>
    public Initializer DepthwiseInitializer { get; init { ThrowIfUndefined(value, nameof(DepthwiseInitializer)); field = value; } } = Initializer.GlorotUniform;

    /// <summary>Gets the initializer of the pointwise kernel (Keras <c>pointwise_initializer</c>).</summary>
    /// <value>The default value is <see cref="Initializer.GlorotUniform"/>, as Keras.</value>
    public Initializer PointwiseInitializer { get; init { ThrowIfUndefined(value, nameof(PointwiseInitializer)); field = value; } } = Initializer.GlorotUniform;

    internal static SeparableConv2DOptions Read(LayerReader r) => new()
    {
        Filters = r.Int("filters"),
        KernelSize = r.Size("kernel_size"),
        Strides = r.Size("strides"),
        Padding = r.Enum<Padding>("padding"),
        DilationRate = r.Size("dilation_rate"),
        DepthMultiplier = r.Int("depth_multiplier"),
        Activation = r.Enum<Activation>("activation"),
        UseBias = r.Bool("use_bias"),
        DepthwiseInitializer = r.Enum<Initializer>("depthwise_initializer"),
        PointwiseInitializer = r.Enum<Initializer>("pointwise_initializer"),
        BiasInitializer = r.Enum<Initializer>("bias_initializer"),
        ExplicitPadding = ReadExplicitPadding(r),
    };

    internal override void WriteFields(LayerWriter w)
    {
        w.Int("filters", Filters);
        w.Size("kernel_size", KernelSize);
        w.Size("strides", Strides);
        w.Enum("padding", Padding);
        w.Size("dilation_rate", DilationRate);
        w.Int("depth_multiplier", DepthMultiplier);
        w.Enum("activation", Activation);
        w.Bool("use_bias", UseBias);
        w.Enum("depthwise_initializer", DepthwiseInitializer);
        w.Enum("pointwise_initializer", PointwiseInitializer);
        w.Enum("bias_initializer", BiasInitializer);
        WriteExplicitPadding(w);
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Activate(
            onnx.Convolution(
                onnx.Convolution(inputs[0], "depthwise_kernel", onnx.Layer.Input.Channels, KernelSize, Strides, DilationRate, Padding, ExplicitPadding, useBias: false),
                "pointwise_kernel", 1, 1, 1, 1, Padding.Valid, null, UseBias, pointwise: true),
            Activation);

    internal override LayerDefinition Define(LayerContext context)
    {
        var input = context.RequireSpatial();
        var channels = input.Channels;
        var depthwiseChannels = checked(channels * DepthMultiplier);
        var (outH, outW, padding) = ConvolutionGeometry.Resolve(context, input, KernelSize, Strides, DilationRate, Padding, Filters, ExplicitPadding);
        long receptive = (long)KernelSize.Height * KernelSize.Width;
        var depthwise = new ConvolutionSpec(
            "depthwise_kernel", depthwiseChannels, channels, Groups: channels, KernelSize, Strides, DilationRate, Activation.Linear, UseBias: false,
            DepthwiseInitializer, BiasInitializer, FanIn: receptive * channels, FanOut: receptive * DepthMultiplier);
        var pointwise = new ConvolutionSpec(
            "pointwise_kernel", Filters, depthwiseChannels, Groups: 1, KernelSize: 1, Strides: 1, DilationRate: 1, Activation, UseBias,
            PointwiseInitializer, BiasInitializer, FanIn: depthwiseChannels, FanOut: Filters);
        return new LayerDefinition(
            new LayerShape(outH, outW, Filters),
            [.. depthwise.Tensors(), .. pointwise.Tensors()],
            g => new SeparableConv2DModule(context.Name, depthwise, pointwise, padding, g));
    }
}

/// <summary>A depthwise convolution without bias, then a 1 × 1 convolution with the bias, then the activation.</summary>
internal sealed class SeparableConv2DModule : LayerModule
{
    private readonly ConvolutionSpec _depthwise;
    private readonly ConvolutionSpec _pointwise;
    private readonly ConvolutionWindow _window;
    private readonly ConvolutionWindow _pointwiseWindow = new(1, 1, default);

    public SeparableConv2DModule(string name, ConvolutionSpec depthwise, ConvolutionSpec pointwise, WindowPadding padding, Generator? generator)
        : base(name)
    {
        _depthwise = depthwise;
        _pointwise = pointwise;
        _window = new ConvolutionWindow(depthwise.Strides, depthwise.DilationRate, padding);
        AddParameter(depthwise.KernelName, depthwise.KernelShape, depthwise.KernelInitializer, depthwise.FanIn, depthwise.FanOut, generator);
        AddParameter(pointwise.KernelName, pointwise.KernelShape, pointwise.KernelInitializer, pointwise.FanIn, pointwise.FanOut, generator);
        if (pointwise.UseBias)
        {
            AddParameter("bias", [pointwise.Filters], pointwise.BiasInitializer, pointwise.Filters, pointwise.Filters, generator);
        }
    }

    internal override void ApplyLayout(bool channelsLast)
    {
        ConvolutionWindow.ApplyLayout(Param(_depthwise.KernelName), channelsLast);
        ConvolutionWindow.ApplyLayout(Param(_pointwise.KernelName), channelsLast);
    }

    public override Tensor forward(Tensor input)
    {
        using var z = ForwardBeforeActivation(input);
        return Activate(z, _pointwise.Activation);
    }

    internal override Tensor ForwardBeforeActivation(Tensor input)
    {
        using var x = CastForCompute(input);
        using var depthwiseKernel = CastForCompute(Param(_depthwise.KernelName));
        using var pointwiseKernel = CastForCompute(Param(_pointwise.KernelName));
        using var bias = _pointwise.UseBias ? CastForCompute(Param("bias")) : null;
        using var depthwise = _window.Convolve(x, depthwiseKernel, null, _depthwise.Groups);
        return _pointwiseWindow.Convolve(depthwise, pointwiseKernel, bias, 1);
    }
}
