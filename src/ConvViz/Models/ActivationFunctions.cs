// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>Applies an <see cref="Activation"/> to a tensor, the way Keras defines it.</summary>
internal static class ActivationFunctions
{
    /// <summary>Keras' default negative slope for LeakyReLU.</summary>
    public const double LeakyReLUSlope = 0.3;

    /// <summary>Applies the activation. Softmax runs over the channel axis (1) of [N, C, H, W] or the feature axis of [N, F].</summary>
    /// <param name="x">The input; not disposed.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>A new tensor (an alias for <see cref="Activation.Linear"/>), owned by the caller.</returns>
    public static Tensor Apply(Tensor x, Activation activation) => activation switch
    {
        Activation.Linear => x.alias(),
        Activation.ReLU => nn.functional.relu(x),
        Activation.Sigmoid => nn.functional.sigmoid(x),
        Activation.Softmax => nn.functional.softmax(x, 1),
        Activation.Tanh => nn.functional.tanh(x),
        Activation.ELU => nn.functional.elu(x, 1.0),
        Activation.SELU => nn.functional.selu(x),
        Activation.LeakyReLU => nn.functional.leaky_relu(x, LeakyReLUSlope),
        Activation.Softplus => nn.functional.softplus(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };
}
