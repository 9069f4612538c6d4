// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>
/// What <c>Fit</c> does when the model already has a preprocessing or class names that differ from the training data's
/// (when the model has none, <c>Fit</c> always takes the data's).
/// </summary>
public enum MetadataMismatchPolicy
{
    /// <summary>Throw an <see cref="ArgumentException"/> naming both values and the fix, before any step (the default).</summary>
    Throw = 0,

    /// <summary>Log a warning through <see cref="FitOptions.Logger"/>, keep the model's values and train.</summary>
    Warn,
}
