// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConvViz.Augmentation;

/// <summary>
/// Batched inverse-map warp that reproduces <c>scipy.ndimage.affine_transform(order=1, mode=…)</c>, as Keras uses it.
/// Source coordinates are computed per output pixel and folded into the image with scipy's boundary rule for the
/// fill mode; the bilinear interpolation of the folded coordinates is then one <c>grid_sample</c> call.
/// </summary>
/// <remarks>
/// scipy (≥ 1.6, as current Keras uses it) maps a coordinate with <c>map_coordinate</c> and extends the
/// interpolation neighbours that fall outside the image by the mode's own rule. For order 1 both steps together equal
/// bilinear sampling at a folded coordinate in [0, L − 1]: constant → outside points take the fill value; nearest →
/// clamp; reflect → the half-sample symmetric fold into [−0.5, L − 0.5], then clamp, so the half pixel beyond an edge
/// takes the edge value (scipy &lt; 1.6 mirrored those neighbours whole-sample instead); wrap → scipy's period
/// L − 1. Grid-wrap (true period L) samples a copy of the image padded with its first row and column.
/// </remarks>
internal static class AffineSampler
{
    /// <summary>Warps each image with its own inverse-map matrix.</summary>
    /// <param name="images">Float32 [B, C, H, W]; not disposed.</param>
    /// <param name="matrices">B × 6 coefficients from <see cref="AugmentationParameters.ToInverseMatrix"/>.</param>
    /// <param name="mode">The fill mode.</param>
    /// <param name="fillValue">The constant for <see cref="FillMode.Constant"/>.</param>
    /// <returns>A new float32 tensor [B, C, H, W]; the caller owns it.</returns>
    public static Tensor Warp(Tensor images, double[] matrices, FillMode mode, double fillValue)
    {
        using var scope = NewDisposeScope();
        var batch = images.shape[0];
        var height = images.shape[2];
        var width = images.shape[3];
        var m = tensor(matrices, [batch, 2, 3], ScalarType.Float64);

        // Every scalar stays referenced until libtorch has read it (see Scalars): no implicit temporaries here.
        using var heightScalar = Scalars.Create(height);
        using var widthScalar = Scalars.Create(width);
        var rows = arange(Scalars.Zero, heightScalar, Scalars.One, ScalarType.Float64).reshape(1, height, 1);
        var cols = arange(Scalars.Zero, widthScalar, Scalars.One, ScalarType.Float64).reshape(1, 1, width);
        Tensor Coefficient(int r, int c) => m[.., r, c].reshape(batch, 1, 1);

        // [B, H, W] source coordinates (double precision, so integer positions stay exact).
        var xs = Coefficient(0, 0).mul(cols).add(Coefficient(0, 1).mul(rows), Scalars.One).add(Coefficient(0, 2), Scalars.One);
        var ys = Coefficient(1, 0).mul(cols).add(Coefficient(1, 1).mul(rows), Scalars.One).add(Coefficient(1, 2), Scalars.One);

        var source = images;
        var sampledWidth = width;
        var sampledHeight = height;
        if (mode == FillMode.GridWrap)
        {
            source = cat([images, images[.., .., .., ..1]], 3);
            source = cat([source, source[.., .., ..1, ..]], 2);
            sampledWidth++;
            sampledHeight++;
        }

        var (gx, validX) = Fold(xs, width, mode);
        var (gy, validY) = Fold(ys, height, mode);

        // align_corners = true: −1 and +1 are the centres of the first and last pixel.
        var grid = stack([Normalize(gx, sampledWidth), Normalize(gy, sampledHeight)], 3).to_type(images.dtype);
        var result = F.grid_sample(source, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: true);
        if (mode == FillMode.Constant)
        {
            var valid = validX!.logical_and(validY!).unsqueeze(1);
            result = result.where(valid, tensor(fillValue, images.dtype));
        }

        return result.MoveToOuterDisposeScope();
    }

    private static Tensor Normalize(Tensor coordinate, long length)
    {
        if (length == 1)
        {
            return zeros_like(coordinate);
        }

        using var scale = Scalars.Create(2.0 / (length - 1));
        return coordinate.mul(scale).sub(Scalars.One);
    }

    /// <summary>Folds coordinates along one axis into [0, L − 1] (or [0, L) for grid-wrap) like scipy's order-1 sampling.</summary>
    private static (Tensor Folded, Tensor? Valid) Fold(Tensor c, long length, FillMode mode)
    {
        if (length == 1)
        {
            return (zeros_like(c), mode == FillMode.Constant ? c.eq(Scalars.Zero) : null);
        }

        using var last = Scalars.Create((double)(length - 1));
        using var lengthScalar = Scalars.Create(length);
        switch (mode)
        {
            case FillMode.Constant:
                var valid = c.ge(Scalars.Zero).logical_and(c.le(last));
                return (c.clamp(Scalars.Zero, last), valid);
            case FillMode.Nearest:
                return (c.clamp(Scalars.Zero, last), null);
            case FillMode.Reflect:
                return (FoldReflect(c, length).clamp(Scalars.Zero, last), null);
            case FillMode.Wrap:
                return (MapWrap(c, length), null);
            default:
                return (c.sub(c.div(lengthScalar).floor().mul(lengthScalar)), null);
        }
    }

    /// <summary>
    /// Half-sample symmetric fold (scipy ≥ 1.6 <c>reflect</c>): the image extended as <c>dcba|abcd|dcba</c> has period
    /// 2L and mirrors about −0.5 and L − 0.5, so c folds to [−0.5, L − 0.5]. Its bilinear interpolant is constant on
    /// the half pixel outside each edge (both neighbours are the edge pixel), which the caller's clamp to [0, L − 1]
    /// reproduces.
    /// </summary>
    private static Tensor FoldReflect(Tensor c, long length)
    {
        using var period = Scalars.Create(2.0 * length);
        using var lengthScalar = Scalars.Create(length);
        var shifted = c.add(Scalars.Half, Scalars.One);
        var m = shifted.sub(shifted.div(period).floor().mul(period)); // [0, 2L)
        m = m.where(m.lt(lengthScalar), m.neg().add(period, Scalars.One));
        return m.sub(Scalars.Half);
    }

    /// <summary>scipy <c>map_coordinate</c> for mode <c>wrap</c> (period length − 1).</summary>
    private static Tensor MapWrap(Tensor c, long length)
    {
        using var period = Scalars.Create((double)(length - 1));
        using var lastIndex = Scalars.Create(length - 1);
        var negative = c.add(c.neg().div(period).trunc().add(Scalars.One, Scalars.One).mul(period), Scalars.One);
        var positive = c.sub(c.div(period).trunc().mul(period));
        return c.where(c.ge(Scalars.Zero), negative).where(c.le(lastIndex), positive);
    }
}
