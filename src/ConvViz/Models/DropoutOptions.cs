// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Options of an inverted-dropout layer, as Keras' <c>layer_dropout</c> arguments.</summary>
public sealed class DropoutOptions
{
    /// <summary>Gets the fraction of inputs dropped while training, in [0, 1).</summary>
    /// <value>There is no default; the value is required.</value>
    public required double Rate { get; init { ThrowIfInvalidRate(value, nameof(Rate)); field = value; } }

    /// <summary>Gets the layer name; <see langword="null"/> for the next automatic name (<c>dropout</c>, <c>dropout_1</c>, …).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; init => field = LayerNames.Validate(value, nameof(Name)); }

    internal static bool IsValidRate(double rate) => rate >= 0 && rate < 1;

    private static void ThrowIfInvalidRate(double value, string name)
    {
        if (!IsValidRate(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "The dropout rate must be in [0, 1).");
        }
    }
}
