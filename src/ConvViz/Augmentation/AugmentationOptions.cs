// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Augmentation;

/// <summary>
/// The random transforms of Keras' <c>image_data_generator</c>. Rescale and the samplewise / featurewise
/// normalisations are deterministic and live in <see cref="Data.ImagePreprocessing"/>. Units follow Keras:
/// degrees for rotation and shear, fractions (&lt; 1) or pixels (≥ 1) for shifts.
/// </summary>
public sealed class AugmentationOptions
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
        ZoomRange.Lower == 1 && ZoomRange.Upper == 1 && ChannelShiftRange == 0 && BrightnessRange is null &&
        !HorizontalFlip && !VerticalFlip;

    private static void CheckNonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0.");
        }
    }
}
