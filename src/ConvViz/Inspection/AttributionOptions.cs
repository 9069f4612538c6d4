// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Inspection;

/// <summary>
/// The settings every attribution method shares (<see cref="GradCamOptions"/> for <see cref="GradCam"/> and
/// <see cref="GradCamPlusPlus"/>, <see cref="SaliencyOptions"/>, <see cref="SmoothGradOptions"/>,
/// <see cref="IntegratedGradientsOptions"/>): what is differentiated and whether the maps are scaled for display.
/// The class explained is not an option: it is an argument of every <c>Compute</c> call (one class for every image,
/// or one per image).
/// </summary>
public abstract record AttributionOptions
{
    private protected AttributionOptions()
    {
    }

    /// <summary>
    /// Gets the quantity differentiated: the class score before softmax or sigmoid (the output layer run without its
    /// activation), or the probability.
    /// </summary>
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
    /// Gets a value indicating whether each image's map is divided by its own maximum (values in [0, 1], for display;
    /// an all-zero map stays zero). When false the maps keep their scale (score units), so maps of different images,
    /// classes or targets can be compared; a map that is zero or tiny before normalisation is then visibly so.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Normalize { get; init; } = true;
}
