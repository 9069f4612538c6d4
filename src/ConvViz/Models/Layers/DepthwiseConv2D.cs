// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// A depthwise 2-D convolution (Keras <c>layer_depthwise_conv_2d</c> / <c>DepthwiseConv2D</c>, the MobileNet family):
/// each input channel is convolved with its own <see cref="DepthMultiplier"/> kernels, so the output has
/// channels × multiplier channels, ordered as Keras orders them (input channel c, kernel m → output channel c ·
/// multiplier + m).
/// </summary>
/// <remarks>
/// The kernel is stored as <c>depthwise_kernel</c> [channels × multiplier, 1, height, width] (Keras stores it as
/// [height, width, channels, multiplier]); the bias, if any, has channels × multiplier values. Glorot initialisation uses
/// Keras' fans for this kernel: height × width × channels in, height × width × multiplier out.
/// </remarks>
[LayerType("DepthwiseConv2D", "depthwise_conv2d")]
public sealed record DepthwiseConv2DOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>: each kernel sees one channel, so there are no [filters, input channels, h, w] kernels to draw.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the kernel height and width; <c>3</c> or <c>(3, 5)</c>.</summary>
    /// <value>There is no default; the value is required.</value>
    public required Size2D KernelSize { get; init { ThrowIfEmpty(value, nameof(KernelSize)); field = value; } }

    /// <summary>Gets the strides.</summary>
    /// <value>The default value is 1 × 1.</value>
    public Size2D Strides { get; init { ThrowIfEmpty(value, nameof(Strides)); field = value; } } = 1;

    /// <summary>Gets the padding.</summary>
    /// <value>The default value is <see cref="Padding.Valid"/>.</value>
    public Padding Padding { get; init { ThrowIfUndefined(value, nameof(Padding)); field = value; } } = Padding.Valid;

    /// <summary>
    /// Gets explicit zero padding (top, bottom, left, right), as ONNX's <c>pads</c>, in place of <see cref="Padding"/>
    /// (which must then stay <see cref="Padding.Valid"/>); <see langword="null"/> for <see cref="Padding"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>. Stored in the model file only when set.</value>
    public Padding2D? ExplicitPadding { get; init; }

    /// <summary>Gets the number of kernels per input channel (Keras <c>depth_multiplier</c>); at least 1.</summary>
    /// <value>The default value is 1.</value>
    public int DepthMultiplier { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(DepthMultiplier)); field = value; } } = 1;

    /// <summary>Gets the dilation rate. As in Keras, a rate above 1 cannot be combined with strides above 1.</summary>
    /// <value>The default value is 1 × 1.</value>
    public Size2D DilationRate { get; init { ThrowIfEmpty(value, nameof(DilationRate)); field = value; } } = 1;

    /// <summary>Gets the activation applied to the output.</summary>
    /// <value>The default value is <see cref="Activation.Linear"/>, as Keras.</value>
    public Activation Activation { get; init { ThrowIfUndefined(value, nameof(Activation)); field = value; } } = Activation.Linear;

    /// <summary>Gets whether the layer adds a bias per output channel.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseBias { get; init; } = true;

    /// <summary>Gets the initializer of the depthwise kernel (Keras <c>depthwise_initializer</c>).</summary>
    /// <value>The default value is <see cref="Initializer.GlorotUniform"/>.</value>
    public Initializer DepthwiseInitializer { get; init { ThrowIfUndefined(value, nameof(DepthwiseInitializer)); field = value; } } = Initializer.GlorotUniform;

    /// <summary>Gets the initializer of the bias.</summary>
    /// <value>The default value is <see cref="Initializer.Zeros"/>.</value>
    public Initializer BiasInitializer { get; init { ThrowIfUndefined(value, nameof(BiasInitializer)); field = value; } } = Initializer.Zeros;

    internal static DepthwiseConv2DOptions Read(LayerReader r) => new()
    {
        KernelSize = r.Size("kernel_size"),
        Strides = r.Size("strides"),
        Padding = r.Enum<Padding>("padding"),
        DepthMultiplier = r.Int("depth_multiplier"),
        DilationRate = r.Size("dilation_rate"),
        Activation = r.Enum<Activation>("activation"),
        UseBias = r.Bool("use_bias"),
        DepthwiseInitializer = r.Enum<Initializer>("depthwise_initializer"),
        BiasInitializer = r.Enum<Initializer>("bias_initializer"),
        ExplicitPadding = r.Has("explicit_padding") ? Padding2D.FromArray(r.Ints("explicit_padding")) : null,
    };

    internal override void WriteFields(LayerWriter w)
    {
        w.Size("kernel_size", KernelSize);
        w.Size("strides", Strides);
        w.Enum("padding", Padding);
        w.Int("depth_multiplier", DepthMultiplier);
        w.Size("dilation_rate", DilationRate);
        w.Enum("activation", Activation);
        w.Bool("use_bias", UseBias);
        w.Enum("depthwise_initializer", DepthwiseInitializer);
        w.Enum("bias_initializer", BiasInitializer);
        if (ExplicitPadding is { } explicitPadding)
        {
            w.Ints("explicit_padding", explicitPadding.ToArray());
        }
    }

    internal override LayerDefinition Define(LayerContext context)
    {
        var input = context.RequireSpatial();
        var channels = input.Channels;
        var filters = checked(channels * DepthMultiplier);
        var (outH, outW, padding) = ConvolutionGeometry.Resolve(context, input, KernelSize, Strides, DilationRate, Padding, filters, ExplicitPadding);
        long receptive = (long)KernelSize.Height * KernelSize.Width;
        var spec = new ConvolutionSpec(
            "depthwise_kernel", filters, channels, Groups: channels, KernelSize, Strides, DilationRate, Activation, UseBias, DepthwiseInitializer, BiasInitializer,
            FanIn: receptive * channels, FanOut: receptive * DepthMultiplier);
        return new LayerDefinition(new LayerShape(outH, outW, filters), spec.Tensors(), g => new Conv2DModule(context.Name, spec, padding, g));
    }
}
