// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>Element-wise activation functions, as Keras' <c>activation</c> argument.</summary>
public enum Activation
{
    /// <summary>No activation (Keras <c>"linear"</c>, the default).</summary>
    Linear = 0,

    /// <summary>Rectified linear unit, max(x, 0).</summary>
    ReLU,

    /// <summary>Logistic sigmoid, 1 / (1 + e^-x).</summary>
    Sigmoid,

    /// <summary>Softmax over the last (feature or channel) axis.</summary>
    Softmax,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh,

    /// <summary>Exponential linear unit with alpha 1.</summary>
    ELU,

    /// <summary>Scaled exponential linear unit.</summary>
    SELU,

    /// <summary>Leaky ReLU with Keras' default negative slope 0.3.</summary>
    LeakyReLU,

    /// <summary>Softplus, log(1 + e^x).</summary>
    Softplus,

    /// <summary>ReLU capped at 6, min(max(x, 0), 6) (Keras <c>"relu6"</c>).</summary>
    ReLU6,

    /// <summary>Swish (SiLU), x · sigmoid(x) (Keras <c>"swish"</c>, <c>"silu"</c>).</summary>
    Swish,

    /// <summary>Gaussian error linear unit, exact form x · Φ(x) = x · (1 + erf(x / √2)) / 2 (Keras <c>"gelu"</c>, whose default is not the tanh approximation).</summary>
    GELU,

    /// <summary>
    /// Hard sigmoid as Keras 2.x and R keras define it, clip(0.2 · x + 0.5, 0, 1) (Keras <c>"hard_sigmoid"</c>): 0 below
    /// −2.5, 1 above 2.5. Keras 3 changed the formula to relu6(x + 3) / 6 (0 below −3, 1 above 3); ConvViz keeps the
    /// Keras 2.x one, which the models it reads were trained with.
    /// </summary>
    HardSigmoid,

    /// <summary>Hard swish, x · relu6(x + 3) / 6 (Keras 3 <c>"hard_silu"</c> / <c>"hard_swish"</c>, ONNX <c>HardSwish</c>, MobileNetV3).</summary>
    HardSwish,
}
