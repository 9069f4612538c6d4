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
public sealed record DepthwiseConv2DOptions : ConvolutionOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>: each kernel sees one channel, so there are no [filters, input channels, h, w] kernels to draw.</value>
    public override bool HasFilters => false;

    /// <summary>Gets the number of kernels per input channel (Keras <c>depth_multiplier</c>); at least 1.</summary>
    /// <value>The default value is 1.</value>
    public int DepthMultiplier { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(DepthMultiplier)); field = value; } } = 1;

    /// <summary>Gets the initializer of the depthwise kernel (Keras <c>depthwise_initializer</c>).</summary>
    /// <value>The default value is <see cref="Initializer.GlorotUniform"/>.</value>
    public Initializer DepthwiseInitializer { get; init { ThrowIfUndefined(value, nameof(DepthwiseInitializer)); field = value; } } = Initializer.GlorotUniform;

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
        ExplicitPadding = ReadExplicitPadding(r),
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
        WriteExplicitPadding(w);
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Activate(onnx.Convolution(inputs[0], "depthwise_kernel", onnx.Layer.Input.Channels, KernelSize, Strides, DilationRate, Padding, ExplicitPadding, UseBias), Activation);

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
