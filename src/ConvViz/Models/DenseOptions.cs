// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Options of a fully connected layer, as Keras' <c>layer_dense</c> arguments.</summary>
public sealed class DenseOptions
{
    /// <summary>Gets the number of outputs; at least 1.</summary>
    /// <value>There is no default; the value is required.</value>
    public required int Units { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Units)); field = value; } }

    /// <summary>Gets the activation applied to the output.</summary>
    /// <value>The default value is <see cref="Activation.Linear"/>, as Keras.</value>
    public Activation Activation { get; init { Conv2DOptions.ThrowIfUndefined(value); field = value; } } = Activation.Linear;

    /// <summary>Gets a value indicating whether the layer adds a bias.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseBias { get; init; } = true;

    /// <summary>Gets the kernel initializer.</summary>
    /// <value>The default value is <see cref="Initializer.GlorotUniform"/>, as Keras.</value>
    public Initializer KernelInitializer { get; init { Conv2DOptions.ThrowIfUndefined(value); field = value; } } = Initializer.GlorotUniform;

    /// <summary>Gets the bias initializer.</summary>
    /// <value>The default value is <see cref="Initializer.Zeros"/>, as Keras.</value>
    public Initializer BiasInitializer { get; init { Conv2DOptions.ThrowIfUndefined(value); field = value; } } = Initializer.Zeros;

    /// <summary>Gets the layer name; <see langword="null"/> for the next automatic name (<c>dense</c>, <c>dense_1</c>, …).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; init => field = LayerNames.Validate(value, nameof(Name)); }
}
