// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Inspection;

/// <summary>
/// The settings shared by the attribution methods that run many copies of each image through the network
/// (<see cref="SmoothGrad"/>, <see cref="IntegratedGradients"/>).
/// </summary>
public abstract record SampledAttributionOptions : AttributionOptions
{
    private protected SampledAttributionOptions()
    {
    }

    /// <summary>Gets how many copies of each image go through the network at once (memory against speed); the maps do not depend on it.</summary>
    /// <value>The default value is 16.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in 1..4096.</exception>
    public int BatchSize
    {
        get;
        init
        {
            if (value is < 1 or > 4096)
            {
                throw new ArgumentOutOfRangeException(nameof(BatchSize), value, $"{GetType().Name}.BatchSize must be in 1..4096, such as 16.");
            }

            field = value;
        }
    } = 16;
}
