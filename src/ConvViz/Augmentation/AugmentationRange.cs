// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Augmentation;

/// <summary>A closed range [<see cref="Lower"/>, <see cref="Upper"/>] a random factor is drawn from uniformly.</summary>
public readonly record struct AugmentationRange
{
    /// <summary>Creates a range.</summary>
    /// <param name="lower">The lower bound.</param>
    /// <param name="upper">The upper bound; not less than <paramref name="lower"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not finite or <paramref name="upper"/> is below <paramref name="lower"/>.</exception>
    public AugmentationRange(double lower, double upper)
    {
        if (!double.IsFinite(lower) || !double.IsFinite(upper))
        {
            throw new ArgumentOutOfRangeException(nameof(lower), "Range bounds must be finite numbers.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(upper, lower);
        Lower = lower;
        Upper = upper;
    }

    /// <summary>Gets the range that leaves an image unchanged when used as a zoom: [1, 1].</summary>
    public static AugmentationRange NoZoom => new(1, 1);

    /// <summary>Gets the lower bound.</summary>
    public double Lower { get; }

    /// <summary>Gets the upper bound.</summary>
    public double Upper { get; }

    /// <summary>Keras' scalar <c>zoom_range = z</c>: the range [1 − z, 1 + z].</summary>
    /// <param name="zoom">The zoom amount z, 0 ≤ z &lt; 1.</param>
    /// <returns>The range.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="zoom"/> is negative or not below 1.</exception>
    public static AugmentationRange Zoom(double zoom)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(zoom);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(zoom, 1.0);
        return new(1 - zoom, 1 + zoom);
    }

    /// <summary>Formats the range as <c>[lower, upper]</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => FormattableString.Invariant($"[{Lower}, {Upper}]");
}
