// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>Applies an <see cref="Activation"/> to a tensor, the way Keras defines it.</summary>
internal static class ActivationFunctions
{
    /// <summary>Keras' default negative slope for LeakyReLU.</summary>
    public const double LeakyReLUSlope = 0.3;

    // TorchSharp's double overloads of elu, leaky_relu and softplus create Scalars that nothing keeps alive during the
    // native call (see Scalars); these paths pass process-lifetime Scalars instead.
    private static readonly TorchSharp.Scalar LeakyReLUSlopeScalar = Scalars.Permanent(LeakyReLUSlope);

    /// <summary>The slope of Keras 2.x's hard sigmoid, clip(0.2 · x + 0.5, 0, 1).</summary>
    private static readonly TorchSharp.Scalar s_hardSigmoidSlope = Scalars.Permanent(0.2);

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
        Activation.ELU => x.elu(Scalars.One, Scalars.One, Scalars.One),
        Activation.SELU => nn.functional.selu(x),
        Activation.LeakyReLU => x.leaky_relu(LeakyReLUSlopeScalar),
        Activation.Softplus => Softplus(x),
        Activation.ReLU6 => nn.functional.relu6(x),
        Activation.Swish => Swish(x),
        Activation.GELU => nn.functional.gelu(x),
        Activation.HardSigmoid => HardSigmoid(x),
        Activation.HardSwish => nn.functional.hardswish(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    private static Tensor Swish(Tensor x)
    {
        using var gate = nn.functional.sigmoid(x);
        return x.mul(gate);
    }

    /// <summary>Keras 2.x's hard sigmoid, clip(0.2 · x + 0.5, 0, 1) (not Keras 3's relu6(x + 3) / 6; see <see cref="Activation.HardSigmoid"/>).</summary>
    private static Tensor HardSigmoid(Tensor x)
    {
        using var scaled = x.mul(s_hardSigmoidSlope);
        using var shifted = scaled.add(Scalars.Half, Scalars.One);
        return shifted.clamp(Scalars.Zero, Scalars.One);
    }

    /// <summary>softplus(x) = max(x, 0) + log1p(exp(−|x|)): overflow-free, and without TorchSharp's temporary Scalars.</summary>

    private static Tensor Softplus(Tensor x)
    {
        using var positive = nn.functional.relu(x);
        using var magnitude = x.abs();
        using var negative = magnitude.neg();
        using var exp = negative.exp();
        using var tail = exp.log1p();
        return positive.add(tail, Scalars.One);
    }
}
