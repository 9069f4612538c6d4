// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Options of a 2-D convolution layer, as Keras' <c>layer_conv_2d</c> arguments.</summary>
public sealed class Conv2DOptions
{
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
    public Padding Padding { get; init { ThrowIfUndefined(value); field = value; } } = Padding.Valid;

    /// <summary>Gets the dilation rate. As in Keras, a rate above 1 cannot be combined with strides above 1.</summary>
    /// <value>The default value is 1 × 1.</value>
    public Size2D DilationRate { get; init { ThrowIfEmpty(value, nameof(DilationRate)); field = value; } } = 1;

    /// <summary>Gets the activation applied to the output.</summary>
    /// <value>The default value is <see cref="Activation.Linear"/>, as Keras.</value>
    public Activation Activation { get; init { ThrowIfUndefined(value); field = value; } } = Activation.Linear;

    /// <summary>Gets a value indicating whether the layer adds a bias.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseBias { get; init; } = true;

    /// <summary>Gets the kernel initializer.</summary>
    /// <value>The default value is <see cref="Initializer.GlorotUniform"/>, as Keras.</value>
    public Initializer KernelInitializer { get; init { ThrowIfUndefined(value); field = value; } } = Initializer.GlorotUniform;

    /// <summary>Gets the bias initializer.</summary>
    /// <value>The default value is <see cref="Initializer.Zeros"/>, as Keras.</value>
    public Initializer BiasInitializer { get; init { ThrowIfUndefined(value); field = value; } } = Initializer.Zeros;

    /// <summary>Gets the layer name; <see langword="null"/> for the next automatic name (<c>conv2d</c>, <c>conv2d_1</c>, …).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; init => field = LayerNames.Validate(value, nameof(Name)); }

    internal static void ThrowIfEmpty(Size2D value, string name)
    {
        if (value.IsEmpty)
        {
            throw new ArgumentOutOfRangeException(name, value, "The size must be at least 1 × 1.");
        }
    }

    internal static void ThrowIfUndefined<T>(T value)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Unknown {typeof(T).Name} value.");
        }
    }
}
