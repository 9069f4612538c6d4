// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Inspection;

/// <summary>Settings of <see cref="GradCam"/> and <see cref="GradCamPlusPlus"/>: the layer explained, and the shared <see cref="AttributionOptions"/>.</summary>
public sealed record GradCamOptions : AttributionOptions
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
}
