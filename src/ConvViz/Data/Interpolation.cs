// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Data;

/// <summary>Resampling used when an image is resized to the target size (Keras <c>interpolation</c>).</summary>
public enum Interpolation
{
    /// <summary>Nearest neighbour, Keras' default (PIL NEAREST sampling).</summary>
    Nearest,

    /// <summary>Bilinear.</summary>
    Bilinear,

    /// <summary>Bicubic.</summary>
    Bicubic,
}
