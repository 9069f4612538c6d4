// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>Settings of <see cref="IntegratedGradients"/>.</summary>
public sealed record IntegratedGradientsOptions : SampledAttributionOptions
{
    /// <summary>
    /// Gets the baseline the path starts from, in the model's input space: [C, H, W] or [1, C, H, W] (shared by every
    /// image) or [N, C, H, W] (one per image). It is read, not disposed; the caller keeps owning it.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: zeros, which is a black image when the preprocessing only
    /// rescales (1/255). With featurewise or samplewise standardisation zeros are the mean image, not black; pass the
    /// preprocessed black image instead (for example <c>preprocessing.Standardize(zeros(1, C, H, W))</c>).</value>
    public Tensor? Baseline { get; init; }

    /// <summary>Gets the number of intervals of the path from the baseline to the image (the gradient is evaluated at Steps + 1 points).</summary>
    /// <value>The default value is 50.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in 1..100000.</exception>
    public int Steps
    {
        get;
        init
        {
            if (value is < 1 or > 100_000)
            {
                throw new ArgumentOutOfRangeException(nameof(Steps), value, "IntegratedGradientsOptions.Steps must be a positive number of path intervals (at most 100000), such as 50; more steps make the sum of the attributions closer to the score difference.");
            }

            field = value;
        }
    } = 50;
}
