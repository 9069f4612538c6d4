// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Augmentation;

/// <summary>
/// How points outside the input are filled by a warp (Keras <c>fill_mode</c>, which is
/// <c>scipy.ndimage.affine_transform(order=1, mode=…)</c>); each mode reproduces scipy's order-1 interpolation exactly.
/// Shown for a row <c>abcd</c>.
/// </summary>
public enum FillMode
{
    /// <summary>Edge replicate, <c>aaaa|abcd|dddd</c> (Keras' default).</summary>
    Nearest,

    /// <summary>A constant value, <c>kkkk|abcd|kkkk</c>; see <see cref="AugmentationOptions.FillValue"/> (Keras <c>cval</c>).</summary>
    Constant,

    /// <summary>Half-sample symmetric reflection, <c>dcba|abcd|dcba</c> (scipy ≥ 1.6 <c>reflect</c>, which also reflects the interpolation neighbours at the border, as current Keras gets).</summary>
    Reflect,

    /// <summary>
    /// Keras' <c>wrap</c> exactly: scipy's interpolation <c>wrap</c>, whose period is one pixel shorter than the image
    /// (the first and last pixel overlap), so <c>bc|abcd|bc</c>.
    /// </summary>
    Wrap,

    /// <summary>True periodic tiling, <c>abcd|abcd|abcd</c> (scipy <c>grid-wrap</c>); not a Keras option.</summary>
    GridWrap,
}
