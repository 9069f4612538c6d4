// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// The arguments shared by Keras' 2-D convolutions (<see cref="Conv2DOptions"/>, <see cref="DepthwiseConv2DOptions"/>,
/// <see cref="SeparableConv2DOptions"/>): the sliding window (kernel size, strides, padding, dilation), the activation
/// and the bias. Each convolution type adds its own kernels and writes its fields in its own file.
/// </summary>
public abstract record ConvolutionOptions : LayerOptions
{
    private protected ConvolutionOptions()
    {
    }

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the kernel height and width (for a separable convolution, its depthwise kernel's); <c>3</c> or <c>(3, 5)</c>.</summary>
    /// <value>There is no default; the value is required.</value>
    public required Size2D KernelSize { get; init { ThrowIfEmpty(value, nameof(KernelSize)); field = value; } }

    /// <summary>Gets the strides (for a separable convolution, its depthwise part's).</summary>
    /// <value>The default value is 1 × 1.</value>
    public Size2D Strides { get; init { ThrowIfEmpty(value, nameof(Strides)); field = value; } } = 1;

    /// <summary>Gets the padding (for a separable convolution, its depthwise part's).</summary>
    /// <value>The default value is <see cref="Padding.Valid"/>.</value>
    public Padding Padding { get; init { ThrowIfUndefined(value, nameof(Padding)); field = value; } } = Padding.Valid;

    /// <summary>
    /// Gets explicit zero padding (top, bottom, left, right), as ONNX's <c>pads</c>, in place of <see cref="Padding"/>
    /// (which must then stay <see cref="Padding.Valid"/>); <see langword="null"/> for <see cref="Padding"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>. Stored in the model file only when set.</value>
    public Padding2D? ExplicitPadding { get; init; }

    /// <summary>Gets the dilation rate. As in Keras, a rate above 1 cannot be combined with strides above 1.</summary>
    /// <value>The default value is 1 × 1.</value>
    public Size2D DilationRate { get; init { ThrowIfEmpty(value, nameof(DilationRate)); field = value; } } = 1;

    /// <summary>Gets the activation applied to the output.</summary>
    /// <value>The default value is <see cref="Activation.Linear"/>, as Keras.</value>
    public Activation Activation { get; init { ThrowIfUndefined(value, nameof(Activation)); field = value; } } = Activation.Linear;

    /// <summary>Gets a value indicating whether the layer adds a bias per output channel.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseBias { get; init; } = true;

    /// <summary>Gets the bias initializer.</summary>
    /// <value>The default value is <see cref="Initializer.Zeros"/>, as Keras.</value>
    public Initializer BiasInitializer { get; init { ThrowIfUndefined(value, nameof(BiasInitializer)); field = value; } } = Initializer.Zeros;

    /// <summary>Writes the explicit padding when it is set (files without it stay as they were).</summary>
    private protected void WriteExplicitPadding(LayerWriter w)
    {
        if (ExplicitPadding is { } explicitPadding)
        {
            w.Ints("explicit_padding", explicitPadding.ToArray());
        }
    }

    /// <summary>Reads the explicit padding, absent in files that do not use it.</summary>
    private protected static Padding2D? ReadExplicitPadding(LayerReader r) =>
        r.Has("explicit_padding") ? Padding2D.FromArray(r.Ints("explicit_padding")) : null;
}
