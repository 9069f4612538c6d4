// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using ConvViz.Imaging;
using static TorchSharp.torch;

namespace ConvViz.Augmentation;

/// <summary>
/// The inverse-map warp of <c>scipy.ndimage.affine_transform(order=1, mode=…)</c>, as Keras uses it, together with
/// the flips: one pass per image in managed code, in double precision like scipy, rounded to float32 once.
/// </summary>
/// <remarks>
/// <para>
/// scipy (≥ 1.6, as current Keras uses it) maps a coordinate with <c>map_coordinate</c> and extends the
/// interpolation neighbours that fall outside the image by the mode's own rule. For order 1 both steps together equal
/// bilinear sampling at a folded coordinate in [0, L − 1]: constant → outside points take the fill value; nearest →
/// clamp; reflect → the half-sample symmetric fold into [−0.5, L − 0.5], then clamp, so the half pixel beyond an edge
/// takes the edge value (scipy &lt; 1.6 mirrored those neighbours whole-sample instead); wrap → scipy's period
/// L − 1; grid-wrap → the true period L, the neighbour after the last pixel being the first.
/// </para>
/// <para>
/// This runs on the data workers next to training, so it uses no libtorch operation (no intra-op threads competing
/// with the training step) and gives the same numbers on every CPU: plain scalar double arithmetic.
/// </para>
/// </remarks>
internal static class AffineSampler
{
    /// <summary>Warps each image with its own inverse-map matrix.</summary>
    /// <param name="images">Float32 [B, C, H, W]; not disposed.</param>
    /// <param name="matrices">B × 6 coefficients from <see cref="AugmentationParameters.ToInverseMatrix"/>.</param>
    /// <param name="mode">The fill mode.</param>
    /// <param name="fillValue">The constant for <see cref="FillMode.Constant"/>.</param>
    /// <returns>A new float32 tensor [B, C, H, W] on the images' device; the caller owns it.</returns>
    public static Tensor Warp(Tensor images, double[] matrices, FillMode mode, double fillValue)
    {
        var batch = (int)images.shape[0];
        var transforms = new ImageTransform[batch];
        for (var i = 0; i < batch; i++)
        {
            transforms[i] = new ImageTransform(matrices.AsSpan(i * 6, 6).ToArray(), false, false);
        }

        return Transform(images, transforms, mode, fillValue);
    }

    /// <summary>Warps (where a matrix is given) and then flips each image, in one pass.</summary>
    /// <param name="images">Float32 [B, C, H, W]; not disposed.</param>
    /// <param name="transforms">One transform per image.</param>
    /// <param name="mode">The fill mode of the warp.</param>
    /// <param name="fillValue">The constant for <see cref="FillMode.Constant"/>.</param>
    /// <returns>A new float32 tensor [B, C, H, W] on the images' device; the caller owns it.</returns>
    public static Tensor Transform(Tensor images, IReadOnlyList<ImageTransform> transforms, FillMode mode, double fillValue)
    {
        var shape = images.shape;
        var batch = (int)shape[0];
        var channels = (int)shape[1];
        var height = (int)shape[2];
        var width = (int)shape[3];
        var plane = height * width;
        var source = TensorData.ToArray(images);
        var result = new float[source.Length];
        var sampler = new Sampler(height, width, mode, fillValue);
        for (var i = 0; i < batch; i++)
        {
            var offset = i * channels * plane;
            sampler.Run(source.AsSpan(offset, channels * plane), result.AsSpan(offset, channels * plane), channels, transforms[i]);
        }

        var output = tensor(result, shape);
        if (images.device_type == TorchSharp.DeviceType.CPU)
        {
            return output;
        }

        using (output)
        {
            return output.to(images.device);
        }
    }

    /// <summary>What happens to one image: an optional inverse-map matrix, then optional flips.</summary>
    /// <param name="Matrix">Six coefficients (see <see cref="AugmentationParameters.ToInverseMatrix"/>), or null for no warp.</param>
    /// <param name="FlipHorizontal">Whether the columns are mirrored after the warp.</param>
    /// <param name="FlipVertical">Whether the rows are mirrored after the warp.</param>
    internal readonly record struct ImageTransform(double[]? Matrix, bool FlipHorizontal, bool FlipVertical);

    /// <summary>The per-size state: the fill rule of each axis and scratch rows of interpolation weights.</summary>
    private sealed class Sampler(int height, int width, FillMode mode, double fillValue)
    {
        // Fully optimised from the first call: a dataset pass calls this once per image, too few times for tiered
        // compilation to reach its optimised code before the epoch is over.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(ReadOnlySpan<float> source, Span<float> destination, int channels, ImageTransform transform)
        {
            var plane = height * width;
            if (transform.Matrix is not { } m)
            {
                for (var c = 0; c < channels; c++)
                {
                    for (var r = 0; r < height; r++)
                    {
                        var from = source.Slice((c * plane) + (r * width), width);
                        var to = destination.Slice((c * plane) + (Row(r, transform) * width), width);
                        from.CopyTo(to);
                        if (transform.FlipHorizontal)
                        {
                            to.Reverse();
                        }
                    }
                }

                return;
            }

            var fill = (float)fillValue;
            for (var r = 0; r < height; r++)
            {
                var outRow = Row(r, transform) * width;
                for (var u = 0; u < width; u++)
                {
                    // The source point of output pixel (row r, column u), folded per axis by the fill rule.
                    var valid = Fold((m[0] * u) + (m[1] * r) + m[2], width, out var x0, out var x1, out var tx)
                        & Fold((m[3] * u) + (m[4] * r) + m[5], height, out var y0, out var y1, out var ty);
                    var at = outRow + (transform.FlipHorizontal ? width - 1 - u : u);
                    if (!valid)
                    {
                        for (var c = 0; c < channels; c++)
                        {
                            destination[(c * plane) + at] = fill;
                        }

                        continue;
                    }

                    int a = (y0 * width) + x0, b = (y0 * width) + x1, d = (y1 * width) + x0, e = (y1 * width) + x1;
                    for (int c = 0, o = 0; c < channels; c++, o += plane)
                    {
                        var top = ((1 - tx) * source[o + a]) + (tx * source[o + b]);
                        var bottom = ((1 - tx) * source[o + d]) + (tx * source[o + e]);
                        destination[o + at] = (float)(((1 - ty) * top) + (ty * bottom));
                    }
                }
            }
        }

        private int Row(int r, ImageTransform transform) => transform.FlipVertical ? height - 1 - r : r;

        /// <summary>Folds one coordinate into the image by the fill rule and returns its two neighbours and weight.</summary>
        /// <returns>False when the point takes the fill value (constant mode outside the image).</returns>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool Fold(double c, int length, out int i0, out int i1, out double t)
        {
            var valid = true;
            if (length == 1)
            {
                i0 = i1 = 0;
                t = 0;
                return mode != FillMode.Constant || c == 0;
            }

            double last = length - 1;
            switch (mode)
            {
                case FillMode.Constant:
                    valid = c >= 0 && c <= last;
                    c = Math.Clamp(c, 0, last);
                    break;
                case FillMode.Nearest:
                    c = Math.Clamp(c, 0, last);
                    break;
                case FillMode.Reflect:
                    {
                        // Period 2L, mirror about −0.5 and L − 0.5.
                        var period = 2.0 * length;
                        var shifted = c + 0.5;
                        var folded = shifted - (Math.Floor(shifted / period) * period);
                        if (folded >= length)
                        {
                            folded = period - folded;
                        }

                        c = Math.Clamp(folded - 0.5, 0, last);
                        break;
                    }

                case FillMode.Wrap:
                    {
                        // scipy's map_coordinate for "wrap": period L − 1.
                        var period = last;
                        if (c < 0)
                        {
                            c += (Math.Truncate(-c / period) + 1) * period;
                        }
                        else if (c > last)
                        {
                            c -= Math.Truncate(c / period) * period;
                        }

                        c = Math.Clamp(c, 0, last);
                        break;
                    }

                default:
                    {
                        // Grid-wrap: period L; the neighbour after the last pixel is the first.
                        c -= Math.Floor(c / length) * length;
                        c = Math.Clamp(c, 0, length);
                        var g0 = (int)Math.Floor(c);
                        t = c - g0;
                        i0 = g0 % length;
                        i1 = (g0 + 1) % length;
                        return true;
                    }
            }

            var f = Math.Floor(c);
            i0 = (int)f;
            t = c - f;
            i1 = i0 + 1 < length ? i0 + 1 : i0;
            return valid;
        }
    }
}
