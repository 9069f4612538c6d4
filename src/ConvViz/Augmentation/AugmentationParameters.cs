// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Augmentation;

/// <summary>
/// The transform drawn for one image (Keras <c>get_random_transform</c>), applied by <see cref="Augmenter.Apply"/>.
/// Geometry is expressed as Keras' inverse map: output pixel p samples the input at T·p about the image centre.
/// </summary>
public sealed record AugmentationParameters
{
    /// <summary>Gets the parameters that leave an image unchanged.</summary>
    public static AugmentationParameters Identity { get; } = new();

    /// <summary>Gets the rotation in degrees; positive turns the content counter-clockwise.</summary>
    public double Rotation { get; init; }

    /// <summary>Gets the horizontal shift in pixels; positive moves the content left.</summary>
    public double ShiftX { get; init; }

    /// <summary>Gets the vertical shift in pixels; positive moves the content up.</summary>
    public double ShiftY { get; init; }

    /// <summary>Gets the shear angle in degrees.</summary>
    public double Shear { get; init; }

    /// <summary>Gets the horizontal zoom factor (above 1 zooms out).</summary>
    public double ZoomX { get; init; } = 1;

    /// <summary>Gets the vertical zoom factor (above 1 zooms out).</summary>
    public double ZoomY { get; init; } = 1;

    /// <summary>Gets the offset added to every channel, or <see langword="null"/> for none.</summary>
    public double? ChannelShift { get; init; }

    /// <summary>Gets a value indicating whether the image is mirrored left–right (after the warp).</summary>
    public bool FlipHorizontal { get; init; }

    /// <summary>Gets a value indicating whether the image is mirrored top–bottom (after the warp).</summary>
    public bool FlipVertical { get; init; }

    /// <summary>Gets the brightness factor, or <see langword="null"/> for none (applied last).</summary>
    public double? Brightness { get; init; }

    /// <summary>Gets a value indicating whether the geometric warp is not the identity.</summary>
    public bool HasWarp => Rotation != 0 || ShiftX != 0 || ShiftY != 0 || Shear != 0 || ZoomX != 1 || ZoomY != 1;

    /// <summary>
    /// Returns the inverse-map matrix for an image of the given size: a source point (x, y) = (m[0]·u + m[1]·v + m[2],
    /// m[3]·u + m[4]·v + m[5]) for the output pixel (u = column, v = row). Built as Keras does:
    /// T = R(θ)·Shift(tx, ty)·Shear(s)·Zoom(zx, zy), centred on the image centre ((w − 1)/2, (h − 1)/2).
    /// </summary>
    /// <remarks>
    /// For square images this is exactly Keras' matrix. For non-square images ConvViz rotates about the true centre;
    /// Keras ≥ 2.9 (after its x/y axis fix) offsets the column axis by (h − 1)/2 and the row axis by (w − 1)/2.
    /// </remarks>
    /// <param name="height">The image height.</param>
    /// <param name="width">The image width.</param>
    /// <returns>The six coefficients of the 2×3 matrix, row-major.</returns>
    public double[] ToInverseMatrix(int height, int width)
    {
        var theta = Rotation * Math.PI / 180;
        var shear = Shear * Math.PI / 180;
        double cos = Math.Cos(theta), sin = Math.Sin(theta);

        // R · Shift
        double a00 = cos, a01 = -sin, a02 = (cos * ShiftX) - (sin * ShiftY);
        double a10 = sin, a11 = cos, a12 = (sin * ShiftX) + (cos * ShiftY);

        // · Shear = [[1, −sin s], [0, cos s]]
        double sinS = Math.Sin(shear), cosS = Math.Cos(shear);
        double b00 = a00, b01 = (-a00 * sinS) + (a01 * cosS);
        double b10 = a10, b11 = (-a10 * sinS) + (a11 * cosS);

        // · Zoom
        double c00 = b00 * ZoomX, c01 = b01 * ZoomY;
        double c10 = b10 * ZoomX, c11 = b11 * ZoomY;

        // Centre: O · T · O⁻¹ with O = translate(cx, cy).
        var cx = (width - 1) / 2.0;
        var cy = (height - 1) / 2.0;
        var t0 = a02 + cx - (c00 * cx) - (c01 * cy);
        var t1 = a12 + cy - (c10 * cx) - (c11 * cy);
        return [c00, c01, t0, c10, c11, t1];
    }
}
