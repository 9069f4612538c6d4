// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
        var size = channels * height * width;
        var source = TensorData.ToArray(images);
        var result = new float[source.Length];
        for (var i = 0; i < batch; i++)
        {
            Apply<float>(source.AsSpan(i * size, size), channels, height, width, interleaved: false, result.AsSpan(i * size, size), transforms[i], mode, fillValue, scale: 1f);
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

    /// <summary>
    /// Transforms one image into planar float32 and multiplies the result by <paramref name="scale"/>, from pixels laid
    /// out channel-first ([C, H, W]) or interleaved ([H, W, C], as decoded bytes are).
    /// </summary>
    /// <typeparam name="T">The source element type (decoded bytes, or float32).</typeparam>
    /// <param name="source">The image: C × H × W values.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="interleaved">True for [H, W, C], false for [C, H, W].</param>
    /// <param name="destination">Receives [C, H, W] float32 values.</param>
    /// <param name="transform">The warp and flips.</param>
    /// <param name="mode">The fill mode of the warp.</param>
    /// <param name="fillValue">The constant for <see cref="FillMode.Constant"/>.</param>
    /// <param name="scale">
    /// A float32 factor applied to every result (the rescale); each value is rounded to float32 first and then
    /// multiplied in float32, exactly as a warp followed by a separate rescale pass.
    /// </param>
    public static void Apply<T>(ReadOnlySpan<T> source, int channels, int height, int width, bool interleaved, Span<float> destination, ImageTransform transform, FillMode mode, double fillValue, float scale)
        where T : unmanaged, INumberBase<T>
    {
        var layout = new Layout(channels, height, width, interleaved);
        var fill = (float)fillValue * scale;
        switch (mode)
        {
            case FillMode.Constant: Run<T, ConstantRule>(source, layout, destination, transform, fill, scale); break;
            case FillMode.Nearest: Run<T, NearestRule>(source, layout, destination, transform, fill, scale); break;
            case FillMode.Reflect: Run<T, ReflectRule>(source, layout, destination, transform, fill, scale); break;
            case FillMode.Wrap: Run<T, WrapRule>(source, layout, destination, transform, fill, scale); break;
            default: Run<T, GridWrapRule>(source, layout, destination, transform, fill, scale); break;
        }
    }

    /// <summary>What happens to one image: an optional inverse-map matrix, then optional flips.</summary>
    /// <param name="Matrix">Six coefficients (see <see cref="AugmentationParameters.ToInverseMatrix"/>), or null for no warp.</param>
    /// <param name="FlipHorizontal">Whether the columns are mirrored after the warp.</param>
    /// <param name="FlipVertical">Whether the rows are mirrored after the warp.</param>
    internal readonly record struct ImageTransform(double[]? Matrix, bool FlipHorizontal, bool FlipVertical);

    /// <summary>Where channel c of pixel p sits in the source: p · PixelStride + c · ChannelStride.</summary>
    private readonly struct Layout(int channels, int height, int width, bool interleaved)
    {
        public int Channels { get; } = channels;

        public int Height { get; } = height;

        public int Width { get; } = width;

        public int PixelStride { get; } = interleaved ? channels : 1;

        public int ChannelStride { get; } = interleaved ? 1 : height * width;
    }

    // Fully optimised from the first call: a dataset pass calls this once per image, too few times for tiered
    // compilation to reach its optimised code before the epoch is over. One specialisation per source type and fill
    // rule, so the rule's arithmetic is inlined into the pixel loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<T, TRule>(ReadOnlySpan<T> source, Layout layout, Span<float> destination, ImageTransform transform, float fill, float scale)
        where T : unmanaged, INumberBase<T>
        where TRule : struct, IFillRule
    {
        if (transform.Matrix is not null && layout.Channels <= PackedLanes && layout.Width > 1 && layout.Height > 1)
        {
            RunPacked<T, TRule>(source, layout, destination, transform, fill, scale);
            return;
        }

        RunScalar<T, TRule>(source, layout, destination, transform, fill, scale);
    }

    /// <summary>The reference loop: any channel count, one pixel and one channel at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunScalar<T, TRule>(ReadOnlySpan<T> source, Layout layout, Span<float> destination, ImageTransform transform, float fill, float scale)
        where T : unmanaged, INumberBase<T>
        where TRule : struct, IFillRule
    {
        int channels = layout.Channels, height = layout.Height, width = layout.Width;
        int pixelStride = layout.PixelStride, channelStride = layout.ChannelStride;
        var plane = height * width;
        var flipH = transform.FlipHorizontal;
        var flipV = transform.FlipVertical;
        if (transform.Matrix is not { } m)
        {
            for (var r = 0; r < height; r++)
            {
                var outRow = (flipV ? height - 1 - r : r) * width;
                for (var c = 0; c < channels; c++)
                {
                    var to = destination.Slice((c * plane) + outRow, width);
                    var from = (r * width * pixelStride) + (c * channelStride);
                    for (var u = 0; u < width; u++)
                    {
                        to[flipH ? width - 1 - u : u] = float.CreateTruncating(source[from + (u * pixelStride)]) * scale;
                    }
                }
            }

            return;
        }

        double m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5];
        for (var r = 0; r < height; r++)
        {
            var outRow = (flipV ? height - 1 - r : r) * width;
            var rowX = m1 * r;
            var rowY = m4 * r;
            for (var u = 0; u < width; u++)
            {
                // The source point of output pixel (row r, column u), folded per axis by the fill rule.
                var valid = FoldAxis<TRule>((m0 * u) + rowX + m2, width, out var x0, out var x1, out var tx)
                    & FoldAxis<TRule>((m3 * u) + rowY + m5, height, out var y0, out var y1, out var ty);
                var at = outRow + (flipH ? width - 1 - u : u);
                if (!valid)
                {
                    for (var c = 0; c < channels; c++)
                    {
                        destination[(c * plane) + at] = fill;
                    }

                    continue;
                }

                int a = ((y0 * width) + x0) * pixelStride, b = ((y0 * width) + x1) * pixelStride;
                int d = ((y1 * width) + x0) * pixelStride, e = ((y1 * width) + x1) * pixelStride;
                double sx = 1 - tx, sy = 1 - ty;
                for (int c = 0, o = 0; c < channels; c++, o += channelStride)
                {
                    var top = (sx * double.CreateTruncating(source[o + a])) + (tx * double.CreateTruncating(source[o + b]));
                    var bottom = (sx * double.CreateTruncating(source[o + d])) + (tx * double.CreateTruncating(source[o + e]));
                    destination[(c * plane) + at] = (float)((sy * top) + (ty * bottom)) * scale;
                }
            }
        }
    }

    /// <summary>The channels of one pixel in the packed source: one <see cref="Vector128{T}"/> of floats.</summary>
    private const int PackedLanes = 4;

    /// <summary>
    /// The warp for up to four channels, with the same arithmetic per value as <see cref="RunScalar"/> (so the same
    /// bits): the image is first packed as float32 (exact for bytes and for float32 sources), four lanes per pixel, so
    /// that one vector holds a pixel's channels; the fold of each row's source coordinates runs four pixels at a time,
    /// and each output pixel is then blended in double precision from four widened vector loads and written straight to
    /// its place in each channel plane. Lane by lane these are the scalar operations in the same order (IEEE double, no
    /// fused multiply-add), so the result does not depend on the CPU or on whether vectors are accelerated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunPacked<T, TRule>(ReadOnlySpan<T> source, Layout layout, Span<float> destination, ImageTransform transform, float fill, float scale)
        where T : unmanaged, INumberBase<T>
        where TRule : struct, IFillRule
    {
        int height = layout.Height, width = layout.Width;
        var plane = height * width;
        var pixelArray = ArrayPool<Vector128<float>>.Shared.Rent(plane);
        var weightArray = ArrayPool<double>.Shared.Rent(2 * width);
        var offsetArray = ArrayPool<int>.Shared.Rent(5 * width);
        try
        {
            var packed = pixelArray.AsSpan(0, plane);
            Pack(source, layout, packed);
            var tx = weightArray.AsSpan(0, width);
            var ty = weightArray.AsSpan(width, width);
            var x0 = offsetArray.AsSpan(0, width);
            var x1 = offsetArray.AsSpan(width, width);
            var y0 = offsetArray.AsSpan(2 * width, width);
            var y1 = offsetArray.AsSpan(3 * width, width);
            var valid = offsetArray.AsSpan(4 * width, width);
            var m = transform.Matrix!;
            var rows = new PlanarRows(destination, layout.Channels, plane, width, transform.FlipHorizontal);
            for (var r = 0; r < height; r++)
            {
                FoldRow<TRule>(m, r, width, height, tx, ty, x0, x1, y0, y1, valid);
                BlendRow(packed, tx, ty, x0, x1, y0, y1, valid, fill, scale, rows, (transform.FlipVertical ? height - 1 - r : r) * width);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(offsetArray);
            ArrayPool<double>.Shared.Return(weightArray);
            ArrayPool<Vector128<float>>.Shared.Return(pixelArray);
        }
    }

    /// <summary>Where the blended pixels of a row go: one row per channel plane of the destination, mirrored or not.</summary>
    private readonly ref struct PlanarRows(Span<float> destination, int channels, int plane, int width, bool flipHorizontal)
    {
        public Span<float> Destination { get; } = destination;

        public int Channels { get; } = channels;

        public int Plane { get; } = plane;

        public int Width { get; } = width;

        public bool FlipHorizontal { get; } = flipHorizontal;
    }

    /// <summary>
    /// Blends one output row from the packed image and writes each pixel's channels to their planes, rescaled, or the
    /// fill value outside.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlendRow(ReadOnlySpan<Vector128<float>> packed, ReadOnlySpan<double> tx, ReadOnlySpan<double> ty, ReadOnlySpan<int> x0, ReadOnlySpan<int> x1, ReadOnlySpan<int> y0, ReadOnlySpan<int> y1, ReadOnlySpan<int> valid, float fill, float scale, PlanarRows rows, int outRow)
    {
        var fillVector = Vector128.Create(fill);
        var scaleVector = Vector128.Create(scale);
        var width = rows.Width;
        var channels = rows.Channels;
        var plane = rows.Plane;
        var output = rows.Destination.Slice(outRow, ((channels - 1) * plane) + width);
        var first = rows.FlipHorizontal ? width - 1 : 0;
        var step = rows.FlipHorizontal ? -1 : 1;
        for (int u = 0, at = first; u < width; u++, at += step)
        {
            Vector128<float> pixel;
            if (valid[u] == 0)
            {
                pixel = fillVector;
            }
            else
            {
                int top0 = y0[u], bottom0 = y1[u], left = x0[u], right = x1[u];
                var a = Vector256.WidenLower(packed[top0 + left].ToVector256Unsafe());
                var b = Vector256.WidenLower(packed[top0 + right].ToVector256Unsafe());
                var d = Vector256.WidenLower(packed[bottom0 + left].ToVector256Unsafe());
                var e = Vector256.WidenLower(packed[bottom0 + right].ToVector256Unsafe());
                double wx = tx[u], wy = ty[u];
                var sx = Vector256.Create(1 - wx);
                var vx = Vector256.Create(wx);
                var top = (sx * a) + (vx * b);
                var bottom = (sx * d) + (vx * e);
                var value = (Vector256.Create(1 - wy) * top) + (Vector256.Create(wy) * bottom);
                pixel = Vector256.Narrow(value, value).GetLower() * scaleVector;
            }

            output[at] = pixel.GetElement(0);
            if (channels > 1)
            {
                output[plane + at] = pixel.GetElement(1);
                if (channels > 2)
                {
                    output[(2 * plane) + at] = pixel.GetElement(2);
                    if (channels > 3)
                    {
                        output[(3 * plane) + at] = pixel.GetElement(3);
                    }
                }
            }
        }
    }

    /// <summary>Copies an image as float32, <see cref="PackedLanes"/> lanes per pixel (the unused lanes zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<T>(ReadOnlySpan<T> source, Layout layout, Span<Vector128<float>> packed)
        where T : unmanaged, INumberBase<T>
    {
        int channels = layout.Channels, pixelStride = layout.PixelStride, channelStride = layout.ChannelStride;
        var pixels = layout.Height * layout.Width;
        if (pixelStride == 3 && channelStride == 1)
        {
            // Decoded RGB: one pass, pixel by pixel, writing each packed pixel whole.
            var rgb = source[..(3 * pixels)];
            for (var p = 0; p < pixels; p++)
            {
                var from = 3 * p;
                packed[p] = Vector128.Create(float.CreateTruncating(rgb[from]), float.CreateTruncating(rgb[from + 1]), float.CreateTruncating(rgb[from + 2]), 0f);
            }

            return;
        }

        var lanes = MemoryMarshal.Cast<Vector128<float>, float>(packed);
        if (channels < PackedLanes)
        {
            lanes.Clear();
        }

        for (var c = 0; c < channels; c++)
        {
            for (int p = 0, from = c * channelStride, to = c; p < pixels; p++, from += pixelStride, to += PackedLanes)
            {
                lanes[to] = float.CreateTruncating(source[from]);
            }
        }
    }

    /// <summary>
    /// Folds the source coordinates of one output row: per column the two neighbouring source columns, the first pixels
    /// of the two neighbouring source rows, the weights, and whether the point is inside (0 = fill value). Four columns
    /// at a time where the rule has a vector form; each lane computes exactly what <see cref="IFillRule.Fold"/> computes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FoldRow<TRule>(double[] m, int r, int width, int height, Span<double> tx, Span<double> ty, Span<int> x0, Span<int> x1, Span<int> y0, Span<int> y1, Span<int> valid)
        where TRule : struct, IFillRule
    {
        var rowX = m[1] * r;
        var rowY = m[4] * r;
        var u = 0;
        if (TRule.HasVectorForm && Vector256.IsHardwareAccelerated)
        {
            var m0 = Vector256.Create(m[0]);
            var m2 = Vector256.Create(m[2]);
            var m3 = Vector256.Create(m[3]);
            var m5 = Vector256.Create(m[5]);
            var vRowX = Vector256.Create(rowX);
            var vRowY = Vector256.Create(rowY);
            var lastX = Vector256.Create((double)(width - 1));
            var lastY = Vector256.Create((double)(height - 1));
            var one = Vector256<double>.One;
            var stride = Vector256.Create((double)width);
            var ramp = Vector256.Create(0.0, 1.0, 2.0, 3.0);
            for (; u + 4 <= width; u += 4)
            {
                var column = ramp + Vector256.Create((double)u);
                var inside = TRule.FoldVector((m0 * column) + vRowX + m2, width, lastX, out var cx)
                    & TRule.FoldVector((m3 * column) + vRowY + m5, height, lastY, out var cy);
                var fx = Vector256.Floor(cx);
                var fy = Vector256.Floor(cy);
                (cx - fx).CopyTo(tx[u..]);
                (cy - fy).CopyTo(ty[u..]);
                var nx = Vector256.ConditionalSelect(Vector256.LessThan(fx, lastX), fx + one, fx);
                var ny = Vector256.ConditionalSelect(Vector256.LessThan(fy, lastY), fy + one, fy);

                // Whole numbers in [0, length − 1]: the conversions are exact.
                var columns = Offsets(fx, nx);
                var rows = Offsets(fy * stride, ny * stride);
                columns.GetLower().CopyTo(x0[u..]);
                columns.GetUpper().CopyTo(x1[u..]);
                rows.GetLower().CopyTo(y0[u..]);
                rows.GetUpper().CopyTo(y1[u..]);
                Vector256.Narrow(inside.AsInt64(), inside.AsInt64()).GetLower().CopyTo(valid[u..]);
            }
        }

        for (; u < width; u++)
        {
            var inside = FoldAxis<TRule>((m[0] * u) + rowX + m[2], width, out var i0, out var i1, out var wx)
                & FoldAxis<TRule>((m[3] * u) + rowY + m[5], height, out var j0, out var j1, out var wy);
            tx[u] = wx;
            ty[u] = wy;
            x0[u] = i0;
            x1[u] = i1;
            y0[u] = j0 * width;
            y1[u] = j1 * width;
            valid[u] = inside ? -1 : 0;
        }
    }

    /// <summary>Two vectors of whole-number doubles as int32: the first four lanes from <paramref name="lower"/>, the next four from <paramref name="upper"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Offsets(Vector256<double> lower, Vector256<double> upper) =>
        Vector256.Narrow(Vector256.ConvertToInt64(lower), Vector256.ConvertToInt64(upper));

    /// <summary>Clamps like <see cref="Math.Clamp(double, double, double)"/>, lane by lane (a NaN stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Clamp(Vector256<double> c, Vector256<double> last)
    {
        c = Vector256.ConditionalSelect(Vector256.LessThan(c, Vector256<double>.Zero), Vector256<double>.Zero, c);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(c, last), last, c);
    }

    /// <summary>
    /// Folds one coordinate by the rule (see <see cref="IFillRule.Fold"/>); an axis of length 1 has a single pixel,
    /// inside only at 0 for the constant rule.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FoldAxis<TRule>(double c, int length, out int i0, out int i1, out double t)
        where TRule : struct, IFillRule
    {
        if (length == 1)
        {
            i0 = i1 = 0;
            t = 0;
            return !TRule.FillsOutside || c == 0;
        }

        return TRule.Fold(c, length, out i0, out i1, out t);
    }

    /// <summary>Tail of the non-wrapping rules: a clamped coordinate's two neighbours and weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Neighbours(double c, int length, out int i0, out int i1, out double t)
    {
        var f = Math.Floor(c);
        i0 = (int)f;
        t = c - f;
        i1 = i0 + 1 < length ? i0 + 1 : i0;
    }

    /// <summary>A fill mode's rule for one axis: fold a coordinate into the image, give its two neighbours and weight.</summary>
    private interface IFillRule
    {
        /// <summary>Gets a value indicating whether points outside the image take the fill value (else they fold inside).</summary>
        static virtual bool FillsOutside => false;

        /// <summary>Gets a value indicating whether <see cref="FoldVector"/> is implemented.</summary>
        static virtual bool HasVectorForm => false;

        /// <summary>Folds one coordinate into an axis longer than 1 and returns its two neighbours and weight.</summary>
        /// <returns>False when the point takes the fill value (constant mode outside the image).</returns>
        static abstract bool Fold(double c, int length, out int i0, out int i1, out double t);

        /// <summary>Four lanes of <see cref="Fold"/> up to the clamped coordinate (the caller floors it).</summary>
        /// <returns>All bits set in the lanes inside the image.</returns>
        static virtual Vector256<double> FoldVector(Vector256<double> c, int length, Vector256<double> last, out Vector256<double> clamped) =>
            throw new NotSupportedException();
    }

    /// <summary>Constant: outside points take the fill value.</summary>
    private readonly struct ConstantRule : IFillRule
    {
        public static bool FillsOutside => true;

        public static bool HasVectorForm => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> FoldVector(Vector256<double> c, int length, Vector256<double> last, out Vector256<double> clamped)
        {
            var inside = Vector256.GreaterThanOrEqual(c, Vector256<double>.Zero) & Vector256.LessThanOrEqual(c, last);
            clamped = Clamp(c, last);
            return inside;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Fold(double c, int length, out int i0, out int i1, out double t)
        {
            double last = length - 1;
            var valid = c >= 0 && c <= last;
            Neighbours(Math.Clamp(c, 0, last), length, out i0, out i1, out t);
            return valid;
        }
    }

    /// <summary>Nearest: clamp to the edge.</summary>
    private readonly struct NearestRule : IFillRule
    {
        public static bool HasVectorForm => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> FoldVector(Vector256<double> c, int length, Vector256<double> last, out Vector256<double> clamped)
        {
            clamped = Clamp(c, last);
            return Vector256<double>.AllBitsSet;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Fold(double c, int length, out int i0, out int i1, out double t)
        {
            Neighbours(Math.Clamp(c, 0, length - 1), length, out i0, out i1, out t);
            return true;
        }
    }

    /// <summary>Reflect: period 2L, mirrored about −0.5 and L − 0.5, then clamped.</summary>
    private readonly struct ReflectRule : IFillRule
    {
        public static bool HasVectorForm => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> FoldVector(Vector256<double> c, int length, Vector256<double> last, out Vector256<double> clamped)
        {
            var period = Vector256.Create(2.0 * length);
            var size = Vector256.Create((double)length);
            var shifted = c + Vector256.Create(0.5);
            var folded = shifted - (Vector256.Floor(shifted / period) * period);
            folded = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(folded, size), period - folded, folded);
            clamped = Clamp(folded - Vector256.Create(0.5), last);
            return Vector256<double>.AllBitsSet;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Fold(double c, int length, out int i0, out int i1, out double t)
        {
            var period = 2.0 * length;
            var shifted = c + 0.5;
            var folded = shifted - (Math.Floor(shifted / period) * period);
            if (folded >= length)
            {
                folded = period - folded;
            }

            Neighbours(Math.Clamp(folded - 0.5, 0, length - 1), length, out i0, out i1, out t);
            return true;
        }
    }

    /// <summary>Wrap: scipy's map_coordinate period L − 1.</summary>
    private readonly struct WrapRule : IFillRule
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Fold(double c, int length, out int i0, out int i1, out double t)
        {
            double last = length - 1;
            var period = last;
            if (c < 0)
            {
                c += (Math.Truncate(-c / period) + 1) * period;
            }
            else if (c > last)
            {
                c -= Math.Truncate(c / period) * period;
            }

            Neighbours(Math.Clamp(c, 0, last), length, out i0, out i1, out t);
            return true;
        }
    }

    /// <summary>Grid-wrap: period L; the neighbour after the last pixel is the first.</summary>
    private readonly struct GridWrapRule : IFillRule
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Fold(double c, int length, out int i0, out int i1, out double t)
        {
            c -= Math.Floor(c / length) * length;
            c = Math.Clamp(c, 0, length);
            var g0 = (int)Math.Floor(c);
            t = c - g0;
            i0 = g0 % length;
            i1 = (g0 + 1) % length;
            return true;
        }
    }
}
