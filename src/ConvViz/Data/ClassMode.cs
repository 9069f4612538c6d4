// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Data;

/// <summary>How labels are produced for each batch (Keras <c>class_mode</c>).</summary>
public enum ClassMode
{
    /// <summary>One-hot float32 labels [B, K] (the default).</summary>
    Categorical,

    /// <summary>Float32 labels [B, 1] with values 0 or 1; needs exactly two classes.</summary>
    Binary,

    /// <summary>Int64 class indices [B].</summary>
    Sparse,

    /// <summary>The labels are the images themselves (autoencoders).</summary>
    Input,

    /// <summary>No labels (prediction).</summary>
    None,
}
