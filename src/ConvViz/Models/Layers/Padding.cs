// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>How a convolution or pooling window treats the border, as Keras' <c>padding</c> argument.</summary>
public enum Padding
{
    /// <summary>No padding (Keras <c>"valid"</c>, the default): the window stays inside the input; output = ⌊(n − k) / s⌋ + 1.</summary>
    Valid = 0,

    /// <summary>
    /// TensorFlow's <c>"same"</c>: output = ⌈n / s⌉; the total padding is split with the smaller half before
    /// (top, left) and the larger half after (bottom, right), so it is asymmetric when the total is odd.
    /// Pooling ignores the padded positions (max over real values; averages count only real values).
    /// </summary>
    Same,
}
