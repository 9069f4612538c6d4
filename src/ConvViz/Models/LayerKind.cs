// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>The kind of a layer in a sequential model; the names are Keras' layer class names (shown in the summary).</summary>
public enum LayerKind
{
    /// <summary>2-D convolution (Keras <c>Conv2D</c>).</summary>
    Conv2D,

    /// <summary>2-D max pooling (Keras <c>MaxPooling2D</c>).</summary>
    MaxPooling2D,

    /// <summary>Flattens feature maps to one vector per sample in Keras' channels-last order (Keras <c>Flatten</c>).</summary>
    Flatten,

    /// <summary>Fully connected layer (Keras <c>Dense</c>).</summary>
    Dense,

    /// <summary>Inverted dropout, active only while training (Keras <c>Dropout</c>).</summary>
    Dropout,

    /// <summary>2-D average pooling (Keras <c>AveragePooling2D</c>).</summary>
    AveragePooling2D,

    /// <summary>Mean over the spatial axes, one value per channel (Keras <c>GlobalAveragePooling2D</c>).</summary>
    GlobalAveragePooling2D,

    /// <summary>Maximum over the spatial axes, one value per channel (Keras <c>GlobalMaxPooling2D</c>).</summary>
    GlobalMaxPooling2D,

    /// <summary>Batch normalization (Keras <c>BatchNormalization</c>).</summary>
    BatchNormalization,

    /// <summary>A standalone activation (Keras <c>Activation</c>).</summary>
    Activation,
}
