// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>The kind of a layer in a sequential model; the names follow Keras' layer classes.</summary>
public enum LayerKind
{
    /// <summary>2-D convolution (Keras <c>Conv2D</c>).</summary>
    Conv2D,

    /// <summary>2-D max pooling (Keras <c>MaxPooling2D</c>).</summary>
    MaxPooling2D,

    /// <summary>Flattens feature maps to one vector per sample (Keras <c>Flatten</c>).</summary>
    Flatten,

    /// <summary>Fully connected layer (Keras <c>Dense</c>).</summary>
    Dense,

    /// <summary>Inverted dropout, active only while training (Keras <c>Dropout</c>).</summary>
    Dropout,
}
