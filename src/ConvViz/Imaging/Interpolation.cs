// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Imaging;

/// <summary>Resampling used when an image is resized to the target size (Keras <c>interpolation</c>).</summary>
public enum Interpolation
{
    /// <summary>Nearest neighbour, Keras' default (PIL NEAREST sampling).</summary>
    Nearest,

    /// <summary>Bilinear (ImageSharp's triangle filter, which widens when downscaling like Pillow's; values may differ from Pillow by a few levels).</summary>
    Bilinear,

    /// <summary>Bicubic (ImageSharp's bicubic filter, a = −0.5 as Pillow; values may differ from Pillow by a few levels).</summary>
    Bicubic,
}
