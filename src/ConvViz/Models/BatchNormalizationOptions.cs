// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>
/// Options of a batch-normalization layer, as Keras' <c>layer_batch_normalization</c> arguments. It normalizes the
/// channel axis of feature maps (Keras <c>axis = -1</c> in channels-last order) or the feature axis of flat inputs.
/// </summary>
/// <remarks>
/// Training mode normalizes with the batch mean and (biased) variance and updates the moving averages; the moving
/// variance receives the unbiased batch variance, as in PyTorch. Evaluation mode uses the moving averages.
/// </remarks>
public sealed class BatchNormalizationOptions
{
    /// <summary>
    /// Gets the momentum of the moving averages, Keras' definition:
    /// moving = momentum · moving + (1 − momentum) · batch. (PyTorch's momentum is 1 − this value.)
    /// </summary>
    /// <value>The default value is 0.99, as Keras.</value>
    public double Momentum { get; init { if (!(value >= 0 && value < 1)) { throw new ArgumentOutOfRangeException(nameof(Momentum), value, "The momentum must be in [0, 1)."); } field = value; } } = 0.99;

    /// <summary>Gets the small value added to the variance.</summary>
    /// <value>The default value is 1e-3, as Keras.</value>
    public double Epsilon { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Epsilon)); field = value; } } = 1e-3;

    /// <summary>Gets a value indicating whether a learned offset (beta) is added.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Center { get; init; } = true;

    /// <summary>Gets a value indicating whether a learned scale (gamma) is applied.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Scale { get; init; } = true;

    /// <summary>Gets the layer name; <see langword="null"/> for the next automatic name (<c>batch_normalization</c>, …).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; init => field = LayerNames.Validate(value, nameof(Name)); }
}
