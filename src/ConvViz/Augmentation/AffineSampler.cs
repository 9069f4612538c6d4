// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Augmentation;

/// <summary>
/// Batched inverse-map warp with order-1 (bilinear) interpolation that reproduces
/// <c>scipy.ndimage.affine_transform(order=1, mode=…)</c>: source coordinates are computed per output pixel, mapped
/// into the image with scipy's boundary rule, and the four neighbours are gathered. Everything runs as tensor ops.
/// </summary>
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
        var channels = images.shape[1];
        var height = images.shape[2];
        var width = images.shape[3];
        var m = tensor(matrices, [batch, 2, 3], ScalarType.Float64);
        var rows = arange(height, ScalarType.Float64).reshape(height, 1).expand(height, width).reshape(1, -1);
        var cols = arange(width, ScalarType.Float64).reshape(1, width).expand(height, width).reshape(1, -1);

        // [B, N] source coordinates.
        var xs = m[.., 0, 0].unsqueeze(1).mul(cols).add(m[.., 0, 1].unsqueeze(1).mul(rows)).add(m[.., 0, 2].unsqueeze(1));
        var ys = m[.., 1, 0].unsqueeze(1).mul(cols).add(m[.., 1, 1].unsqueeze(1).mul(rows)).add(m[.., 1, 2].unsqueeze(1));

        var (x0, x1, wx, validX) = Axis(xs, width, mode);
        var (y0, y1, wy, validY) = Axis(ys, height, mode);

        var flat = images.reshape(batch, channels, height * width);
        Tensor Gather(Tensor yi, Tensor xi) => flat.gather(2, yi.mul(width).add(xi).unsqueeze(1).expand(batch, channels, -1));

        var wx1 = wx.to_type(ScalarType.Float32).unsqueeze(1);
        var wy1 = wy.to_type(ScalarType.Float32).unsqueeze(1);
        var wx0 = wx1.neg().add(1);
        var wy0 = wy1.neg().add(1);
        var top = Gather(y0, x0).mul(wx0).add(Gather(y0, x1).mul(wx1));
        var bottom = Gather(y1, x0).mul(wx0).add(Gather(y1, x1).mul(wx1));
        var result = top.mul(wy0).add(bottom.mul(wy1));
        if (mode == FillMode.Constant)
        {
            var valid = validX!.logical_and(validY!).unsqueeze(1);
            result = result.where(valid, tensor((float)fillValue));
        }

        return result.reshape(batch, channels, height, width).MoveToOuterDisposeScope();
    }

    /// <summary>Maps coordinates along one axis to neighbour indices and the weight of the upper neighbour.</summary>
    private static (Tensor Lower, Tensor Upper, Tensor Weight, Tensor? Valid) Axis(Tensor coordinates, long length, FillMode mode)
    {
        Tensor? valid = null;
        Tensor mapped;
        if (length == 1)
        {
            if (mode == FillMode.Constant)
            {
                valid = coordinates.eq(0);
            }

            var zeros = zeros_like(coordinates, ScalarType.Int64);
            return (zeros, zeros, zeros_like(coordinates), valid);
        }

        var last = length - 1;
        switch (mode)
        {
            case FillMode.Constant:
                valid = coordinates.ge(0).logical_and(coordinates.le(last));
                mapped = coordinates.where(valid, 0.0);
                break;
            case FillMode.Nearest:
                mapped = coordinates.clamp(0, last);
                break;
            case FillMode.Reflect:
                mapped = MapReflect(coordinates, length);
                break;
            case FillMode.Wrap:
                mapped = MapWrap(coordinates, length);
                break;
            default:
                mapped = coordinates.sub(coordinates.div(length).floor().mul(length));
                break;
        }

        var floor = mapped.floor();
        var weight = mapped.sub(floor);
        var lower = floor.to_type(ScalarType.Int64);
        var upper = lower.add(1);
        if (mode == FillMode.GridWrap)
        {
            upper = upper.remainder(length);
        }
        else
        {
            // scipy's border rule for the interpolation neighbours: whole-sample mirror.
            lower = Mirror(lower, length);
            upper = Mirror(upper, length);
        }

        return (lower, upper, weight, valid);
    }

    private static Tensor Mirror(Tensor index, long length)
    {
        var mirrored = index.where(index.ge(0), index.neg());
        return mirrored.where(mirrored.lt(length), mirrored.neg().add((2 * length) - 2));
    }

    /// <summary>scipy <c>map_coordinate</c> for mode <c>reflect</c>.</summary>
    private static Tensor MapReflect(Tensor c, long length)
    {
        var period = 2.0 * length;
        var negative = c.where(c.ge(-period), c.neg().div(period).trunc().mul(period).add(c));
        negative = negative.where(negative.ge(-length), negative.add(period)).where(negative.lt(-length), negative.neg().sub(1));
        var positive = c.sub(c.div(period).trunc().mul(period));
        positive = positive.where(positive.lt(length), positive.neg().add(period - 1));
        return c.where(c.ge(0), negative).where(c.le(length - 1), positive);
    }

    /// <summary>scipy <c>map_coordinate</c> for mode <c>wrap</c> (period length − 1).</summary>
    private static Tensor MapWrap(Tensor c, long length)
    {
        var period = (double)(length - 1);
        var negative = c.add(c.neg().div(period).trunc().add(1).mul(period));
        var positive = c.sub(c.div(period).trunc().mul(period));
        return c.where(c.ge(0), negative).where(c.le(length - 1), positive);
    }
}
