// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Inspection;

/// <summary>Settings of <see cref="SmoothGrad"/>.</summary>
public sealed record SmoothGradOptions : SampledAttributionOptions
{
    /// <summary>
    /// Gets the standard deviation of the Gaussian noise as a fraction of the image's value range (its maximum minus its
    /// minimum, per image), as Smilkov et al. define it; they found 0.1–0.2 best.
    /// </summary>
    /// <value>The default value is 0.15.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in (0, 1].</exception>
    public double NoiseLevel
    {
        get;
        init
        {
            if (!(value > 0 && value <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(NoiseLevel), value, "SmoothGradOptions.NoiseLevel is the noise's standard deviation as a fraction of the image's value range: use a value in (0, 1], such as 0.15.");
            }

            field = value;
        }
    } = 0.15;

    /// <summary>Gets the number of noisy copies whose gradients are averaged.</summary>
    /// <value>The default value is 50 (Smilkov et al. saw little change beyond 50).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in 1..100000.</exception>
    public int SampleCount
    {
        get;
        init
        {
            if (value is < 1 or > 100_000)
            {
                throw new ArgumentOutOfRangeException(nameof(SampleCount), value, "SmoothGradOptions.SampleCount must be a positive number of noisy copies (at most 100000), such as 50.");
            }

            field = value;
        }
    } = 50;

    /// <summary>Gets the seed of the noise; the same seed and options give the same map.</summary>
    /// <value>
    /// The default value is 0, or, when <c>ConvVizRuntime.Seed</c> set a global seed before these options were
    /// created, the next SmoothGrad seed drawn from it.
    /// </value>
    public int Seed { get; init; } = SeedStore.Next(SeedComponent.SmoothGrad) ?? 0;
}
