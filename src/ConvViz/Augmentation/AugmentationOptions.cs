// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Augmentation;

/// <summary>
/// The random transforms of Keras' <c>image_data_generator</c>. Rescale and the samplewise / featurewise
/// normalisations are deterministic and live in <see cref="Imaging.ImagePreprocessing"/>. Units follow Keras:
/// degrees for rotation and shear, fractions (&lt; 1) or pixels (≥ 1) for shifts.
/// </summary>
public sealed record AugmentationOptions
{
    /// <summary>Gets the rotation range in degrees: θ ~ U(−r, r); positive θ turns the content counter-clockwise.</summary>
    /// <value>The default value is 0 (no rotation).</value>
    public double RotationRange { get; init { CheckNonNegative(value, nameof(RotationRange)); field = value; } }

    /// <summary>
    /// Gets the horizontal shift range: a fraction of the width when below 1, pixels when 1 or more; the shift is drawn
    /// from U(−r, r). As in Keras' inverse map, a positive shift moves the content left.
    /// </summary>
    /// <value>The default value is 0 (no shift).</value>
    public double WidthShiftRange { get; init { CheckNonNegative(value, nameof(WidthShiftRange)); field = value; } }

    /// <summary>Gets the vertical shift range, as <see cref="WidthShiftRange"/> but scaled by the height; a positive shift moves the content up.</summary>
    /// <value>The default value is 0 (no shift).</value>
    public double HeightShiftRange { get; init { CheckNonNegative(value, nameof(HeightShiftRange)); field = value; } }

    /// <summary>
    /// Gets Keras' integer or list form of <c>width_shift_range</c>, or <see langword="null"/> to use
    /// <see cref="WidthShiftRange"/>: the shift is a value picked uniformly from the list, times −1 or +1 with equal
    /// probability; the values are fractions of the width when all are below 1, pixels otherwise. Keras'
    /// <c>width_shift_range = 2L</c> is <see cref="IntegerShift(int)"/>(2), which gives −1, 0 or +1 pixels.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentException">The list is empty or holds a negative or non-finite value.</exception>
    public IReadOnlyList<double>? WidthShiftChoices { get; init => field = CheckChoices(value, nameof(WidthShiftChoices)); }

    /// <summary>Gets Keras' integer or list form of <c>height_shift_range</c>, as <see cref="WidthShiftChoices"/> but scaled by the height.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentException">The list is empty or holds a negative or non-finite value.</exception>
    public IReadOnlyList<double>? HeightShiftChoices { get; init => field = CheckChoices(value, nameof(HeightShiftChoices)); }

    /// <summary>
    /// Gets the shear range in <b>degrees</b> (Keras ≥ 2.1.3): s ~ U(−r, r) with Keras' matrix [[1, −sin s], [0, cos s]].
    /// The blog's <c>shear_range = 0.2</c> therefore means ±0.2°.
    /// </summary>
    /// <value>The default value is 0 (no shear).</value>
    public double ShearRange { get; init { CheckNonNegative(value, nameof(ShearRange)); field = value; } }

    /// <summary>
    /// Gets the zoom range: horizontal and vertical factors are drawn independently from it. Factors map output to
    /// input coordinates, so values above 1 zoom out (content shrinks, borders are filled) and below 1 zoom in. Use
    /// <see cref="AugmentationRange.Zoom(double)"/> for Keras' scalar form.
    /// </summary>
    /// <value>The default value is [1, 1] (no zoom).</value>
    public AugmentationRange ZoomRange
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value.Lower, nameof(ZoomRange));
            field = value;
        }
    } = AugmentationRange.NoZoom;

    /// <summary>
    /// Gets the channel shift range in pixel units: one offset c ~ U(−r, r) is added to every channel, then the image is
    /// clipped to its own minimum and maximum from before the shift (Keras' <c>apply_channel_shift</c>).
    /// </summary>
    /// <value>The default value is 0 (no shift).</value>
    public double ChannelShiftRange { get; init { CheckNonNegative(value, nameof(ChannelShiftRange)); field = value; } }

    /// <summary>
    /// Gets the brightness range, or <see langword="null"/> for none: u ~ U(lo, hi) scales the image like Pillow's
    /// <c>ImageEnhance.Brightness(u)</c>, including its 8-bit quantisation (1 leaves the image unchanged, 0 makes it black).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public AugmentationRange? BrightnessRange
    {
        get;
        init
        {
            if (value is { } range)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(range.Lower, nameof(BrightnessRange));
            }

            field = value;
        }
    }

    /// <summary>Gets a value indicating whether each image is mirrored left–right with probability ½.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool HorizontalFlip { get; init; }

    /// <summary>Gets a value indicating whether each image is mirrored top–bottom with probability ½.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool VerticalFlip { get; init; }

    /// <summary>Gets how points outside the input are filled by the warp.</summary>
    /// <value>The default value is <see cref="FillMode.Nearest"/>, as Keras.</value>
    public FillMode FillMode { get; init; } = FillMode.Nearest;

    /// <summary>Gets the fill value for <see cref="FillMode.Constant"/> in pixel units (Keras <c>cval</c>).</summary>
    /// <value>The default value is 0.</value>
    public double FillValue { get; init { if (!double.IsFinite(value)) { throw new ArgumentOutOfRangeException(nameof(FillValue), value, "The fill value must be finite."); } field = value; } }

    /// <summary>Gets a value indicating whether any random transform is configured.</summary>
    public bool IsIdentity =>
        RotationRange == 0 && WidthShiftRange == 0 && HeightShiftRange == 0 && ShearRange == 0 &&
        (WidthShiftChoices is null || WidthShiftChoices.All(v => v == 0)) && (HeightShiftChoices is null || HeightShiftChoices.All(v => v == 0)) &&
        ZoomRange.Lower == 1 && ZoomRange.Upper == 1 && ChannelShiftRange == 0 && BrightnessRange is null &&
        !HorizontalFlip && !VerticalFlip;

    /// <summary>
    /// Keras' integer shift range: <c>width_shift_range = n</c> (an R integer such as <c>2L</c>) draws from
    /// <c>range(n)</c> = 0 … n − 1 pixels, then a random sign, so 2 gives −1, 0 or +1 and 1 never shifts.
    /// </summary>
    /// <param name="range">The integer n ≥ 1.</param>
    /// <returns>The choices 0, 1, …, n − 1 for <see cref="WidthShiftChoices"/> or <see cref="HeightShiftChoices"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="range"/> is less than 1.</exception>
    public static IReadOnlyList<double> IntegerShift(int range)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(range);
        return Enumerable.Range(0, range).Select(i => (double)i).ToArray();
    }

    private static double[]? CheckChoices(IReadOnlyList<double>? values, string name)
    {
        if (values is null)
        {
            return null;
        }

        if (values.Count == 0 || values.Any(v => !double.IsFinite(v) || v < 0))
        {
            throw new ArgumentException($"AugmentationOptions.{name} needs at least one finite value ≥ 0 (the sign is drawn separately), for example AugmentationOptions.IntegerShift(2) or [0.05, 0.1].", name);
        }

        return values.ToArray();
    }

    private static void CheckNonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0.");
        }
    }
}
