// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Options of a standalone activation layer, as Keras' <c>layer_activation</c> arguments.</summary>
public sealed class ActivationOptions
{
    /// <summary>Gets the activation.</summary>
    /// <value>There is no default; the value is required.</value>
    public required Activation Activation { get; init { Conv2DOptions.ThrowIfUndefined(value); field = value; } }

    /// <summary>Gets the layer name; <see langword="null"/> for the next automatic name (<c>activation</c>, <c>activation_1</c>, …).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; init => field = LayerNames.Validate(value, nameof(Name)); }
}
