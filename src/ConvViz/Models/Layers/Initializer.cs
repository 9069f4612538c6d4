// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>
/// Weight initializers with Keras' definitions. Fans follow Keras: for a kernel of kh × kw from c_in to c_out
/// channels, fan_in = kh·kw·c_in and fan_out = kh·kw·c_out; for a Dense kernel, fan_in = inputs and fan_out = units;
/// for a bias vector of n values, both fans are n. The normal variants draw from a normal distribution truncated at
/// two standard deviations, scaled as Keras' <c>VarianceScaling</c> does.
/// </summary>
public enum Initializer
{
    /// <summary>Keras <c>glorot_uniform</c> (the kernel default): U(−l, l), l = √(6 / (fan_in + fan_out)).</summary>
    GlorotUniform = 0,

    /// <summary>Keras <c>glorot_normal</c>: truncated normal, σ = √(2 / (fan_in + fan_out)) / 0.8796.</summary>
    GlorotNormal,

    /// <summary>Keras <c>he_uniform</c>: U(−l, l), l = √(6 / fan_in).</summary>
    HeUniform,

    /// <summary>Keras <c>he_normal</c>: truncated normal, σ = √(2 / fan_in) / 0.8796.</summary>
    HeNormal,

    /// <summary>Keras <c>lecun_uniform</c>: U(−l, l), l = √(3 / fan_in).</summary>
    LecunUniform,

    /// <summary>Keras <c>lecun_normal</c>: truncated normal, σ = √(1 / fan_in) / 0.8796.</summary>
    LecunNormal,

    /// <summary>Keras <c>zeros</c> (the bias default).</summary>
    Zeros,

    /// <summary>Keras <c>ones</c>.</summary>
    Ones,
}
