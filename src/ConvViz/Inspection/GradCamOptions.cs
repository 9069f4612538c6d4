// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Inspection;

/// <summary>Settings of <see cref="GradCam"/> and <see cref="GradCamPlusPlus"/>.</summary>
public sealed record GradCamOptions
{
    /// <summary>Gets the layer whose feature maps are weighted (a convolution or pooling layer).</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="GradCam.DefaultLayer"/>, the last convolution before the classifier.</value>
    /// <exception cref="ArgumentException">The value is empty or white space.</exception>
    public string? LayerName
    {
        get;
        init
        {
            if (value is not null && string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException("GradCamOptions.LayerName must be a layer name such as 'conv2d_3', or null for GradCam.DefaultLayer (the last convolution before the classifier).", nameof(LayerName));
            }

            field = value;
        }
    }

    /// <summary>Gets the quantity differentiated: the class score before softmax or sigmoid, or the probability.</summary>
    /// <value>The default value is <see cref="AttributionTarget.Score"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not an <see cref="AttributionTarget"/> member.</exception>
    public AttributionTarget Target
    {
        get;
        init
        {
            ClassScore.ValidateTarget(value, nameof(Target));
            field = value;
        }
    }

    /// <summary>
    /// Gets a value indicating whether each map is divided by its maximum (values in [0, 1], for display). When false the
    /// maps keep their scale (score units per unit of activation, before upsampling), so maps of different images,
    /// classes or targets can be compared; a map that is zero or tiny before normalisation is then visibly so.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Normalize { get; init; } = true;
}
