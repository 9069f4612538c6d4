// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvViz.Imaging;

/// <summary>
/// Turns decoded component planes into RGB rows as libjpeg-turbo 2.1 with its defaults and then Pillow do:
/// "fancy" upsampling (a triangle filter: each output sample is 3/4 of the nearer and 1/4 of the farther input
/// sample, with libjpeg's alternating rounding biases; edges replicated) for 2×1, 1×2 and 2×2 subsampled components
/// and sample replication for other integer factors; YCbCr→RGB with 16-bit fixed-point tables rounded as libjpeg
/// rounds them; and for CMYK files Pillow's Adobe polarity and its <c>convert("RGB")</c> formula.
/// </summary>
internal static class JpegColor
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);
    private static readonly int[] s_crToR = new int[256];
    private static readonly int[] s_cbToB = new int[256];
    private static readonly int[] s_crToG = new int[256];
    private static readonly int[] s_cbToG = new int[256];

    /// <summary>Clamps value + <see cref="ClampOffset"/> to 0–255 by lookup (values from −384 to 639).</summary>
    private static readonly byte[] s_clamp = new byte[1024];
    private const int ClampOffset = 384;

#pragma warning disable CA1810 // the four tables are filled in one loop
    static JpegColor()
#pragma warning restore CA1810
    {
        // FIX(x) = round(x · 2^16): 1.402 → 91881, 1.772 → 116130, 0.71414 → 46802, 0.34414 → 22554.
        for (var i = 0; i < 256; i++)
        {
            long x = i - 128;
            s_crToR[i] = (int)(((91881 * x) + OneHalf) >> ScaleBits);
            s_cbToB[i] = (int)(((116130 * x) + OneHalf) >> ScaleBits);
            s_crToG[i] = (int)(-46802 * x);
            s_cbToG[i] = (int)((-22554 * x) + OneHalf);
        }

        for (var i = 0; i < s_clamp.Length; i++)
        {
            s_clamp[i] = (byte)Math.Clamp(i - ClampOffset, 0, 255);
        }
    }

    /// <summary>Writes the image as interleaved RGB bytes.</summary>
    /// <param name="decoder">The decoder (image size).</param>
    /// <param name="components">The components with their sample planes.</param>
    /// <param name="transform">The colour transform.</param>
    /// <param name="destination">Receives width × height × 3 bytes.</param>
    public static void Write(JpegDecoder decoder, JpegComponent[] components, JpegColorTransform transform, Span<byte> destination)
    {
        var width = decoder.Width;
        var height = decoder.Height;
        var maxH = components.Max(c => c.H);
        var maxV = components.Max(c => c.V);
        var bufferLength = (2 * components.Max(c => c.DownsampledWidth)) + 8 + width;
        var buffers = new byte[components.Length][];
        for (var i = 0; i < buffers.Length; i++)
        {
            buffers[i] = new byte[bufferLength];
        }

        var columnSums = new int[bufferLength];
        for (var y = 0; y < height; y++)
        {
            var output = destination.Slice(y * width * 3, width * 3);
            var c0 = Upsample(components[0], y, width, maxH, maxV, buffers[0], columnSums);
            if (transform == JpegColorTransform.Grayscale)
            {
                for (var x = 0; x < width; x++)
                {
                    var g = c0[x];
                    output[3 * x] = g;
                    output[(3 * x) + 1] = g;
                    output[(3 * x) + 2] = g;
                }

                continue;
            }

            var c1 = Upsample(components[1], y, width, maxH, maxV, buffers[1], columnSums);
            var c2 = Upsample(components[2], y, width, maxH, maxV, buffers[2], columnSums);
            switch (transform)
            {
                case JpegColorTransform.YCbCr:
                    YCbCrToRgb(c0[..width], c1, c2, output);
                    break;
                case JpegColorTransform.Rgb:
                    for (var x = 0; x < width; x++)
                    {
                        output[3 * x] = c0[x];
                        output[(3 * x) + 1] = c1[x];
                        output[(3 * x) + 2] = c2[x];
                    }

                    break;
                default:
                    var c3 = Upsample(components[3], y, width, maxH, maxV, buffers[3], columnSums);
                    CmykToRgb(c0[..width], c1, c2, c3, transform == JpegColorTransform.Ycck, output);
                    break;
            }
        }
    }

    private static void YCbCrToRgb(ReadOnlySpan<byte> luma, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> output)
    {
        var count = luma.Length;
        if (cb.Length < count || cr.Length < count || output.Length < 3 * count)
        {
            throw new ArgumentException("Colour rows are too short.");
        }

        ref var crToR = ref MemoryMarshal.GetArrayDataReference(s_crToR);
        ref var cbToB = ref MemoryMarshal.GetArrayDataReference(s_cbToB);
        ref var crToG = ref MemoryMarshal.GetArrayDataReference(s_crToG);
        ref var cbToG = ref MemoryMarshal.GetArrayDataReference(s_cbToG);
        ref var clamp = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s_clamp), ClampOffset);
        ref var yRef = ref MemoryMarshal.GetReference(luma);
        ref var cbRef = ref MemoryMarshal.GetReference(cb);
        ref var crRef = ref MemoryMarshal.GetReference(cr);
        ref var o = ref MemoryMarshal.GetReference(output);
        for (var x = 0; x < count; x++)
        {
            int y = Unsafe.Add(ref yRef, x);
            int b = Unsafe.Add(ref cbRef, x);
            int r = Unsafe.Add(ref crRef, x);
            o = Unsafe.Add(ref clamp, y + Unsafe.Add(ref crToR, r));
            Unsafe.Add(ref o, 1) = Unsafe.Add(ref clamp, y + ((Unsafe.Add(ref cbToG, b) + Unsafe.Add(ref crToG, r)) >> ScaleBits));
            Unsafe.Add(ref o, 2) = Unsafe.Add(ref clamp, y + Unsafe.Add(ref cbToB, b));
            o = ref Unsafe.Add(ref o, 3);
        }
    }

    /// <summary>
    /// libjpeg outputs CMYK (converting YCCK first); Pillow reads it with Adobe polarity (inverted, "CMYK;I") and
    /// converts with R = (255 − K) − (C·(255 − K))/255, rounded as its MULDIV255 macro rounds.
    /// </summary>
    private static void CmykToRgb(ReadOnlySpan<byte> c0, ReadOnlySpan<byte> c1, ReadOnlySpan<byte> c2, ReadOnlySpan<byte> c3, bool ycck, Span<byte> output)
    {
        for (var x = 0; x < c0.Length; x++)
        {
            int c = c0[x];
            int m = c1[x];
            int ye = c2[x];
            if (ycck)
            {
                int y = c0[x];
                int cb = c1[x];
                int cr = c2[x];
                c = Clamp(255 - (y + s_crToR[cr]));
                m = Clamp(255 - (y + ((s_cbToG[cb] + s_crToG[cr]) >> ScaleBits)));
                ye = Clamp(255 - (y + s_cbToB[cb]));
            }

            // Pillow's CMYK = 255 − libjpeg's; then nk = 255 − K' = libjpeg's K.
            int nk = c3[x];
            output[3 * x] = (byte)(nk - MulDiv255(255 - c, nk));
            output[(3 * x) + 1] = (byte)(nk - MulDiv255(255 - m, nk));
            output[(3 * x) + 2] = (byte)(nk - MulDiv255(255 - ye, nk));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MulDiv255(int a, int b)
    {
        var t = (a * b) + 128;
        return ((t >> 8) + t) >> 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);

    /// <summary>Returns the component's samples for output row <paramref name="y"/>, upsampled to at least <paramref name="width"/> samples.</summary>
    private static ReadOnlySpan<byte> Upsample(JpegComponent c, int y, int width, int maxH, int maxV, byte[] buffer, int[] columnSums)
    {
        var plane = c.Plane!;
        var stride = c.BlocksPerLine * 8;
        var hr = maxH / c.H;
        var vr = maxV / c.V;
        var dw = c.DownsampledWidth;
        var last = c.DownsampledHeight - 1;
        if (hr == 1 && vr == 1)
        {
            return plane.AsSpan(y * stride, width);
        }

        if (hr == 2 && vr == 1 && dw > 2)
        {
            var row = plane.AsSpan(y * stride, dw);
            int value = row[0];
            buffer[0] = (byte)value;
            buffer[1] = (byte)(((value * 3) + row[1] + 2) >> 2);
            for (var x = 1; x < dw - 1; x++)
            {
                value = row[x] * 3;
                buffer[2 * x] = (byte)((value + row[x - 1] + 1) >> 2);
                buffer[(2 * x) + 1] = (byte)((value + row[x + 1] + 2) >> 2);
            }

            value = row[dw - 1];
            buffer[(2 * dw) - 2] = (byte)(((value * 3) + row[dw - 2] + 1) >> 2);
            buffer[(2 * dw) - 1] = (byte)value;
            return buffer;
        }

        if (vr == 2 && (hr == 1 || (hr == 2 && dw > 2)))
        {
            var inRow = y >> 1;
            var upper = (y & 1) == 0;
            var neighbourRow = upper ? Math.Max(inRow - 1, 0) : Math.Min(inRow + 1, last);
            var current = plane.AsSpan(inRow * stride, Math.Max(dw, width));
            var neighbour = plane.AsSpan(neighbourRow * stride, current.Length);
            if (hr == 1)
            {
                var bias = upper ? 1 : 2;
                for (var x = 0; x < width; x++)
                {
                    buffer[x] = (byte)(((current[x] * 3) + neighbour[x] + bias) >> 2);
                }

                return buffer;
            }

            ref var cur = ref MemoryMarshal.GetReference(current);
            ref var nbr = ref MemoryMarshal.GetReference(neighbour);
            ref var sums = ref MemoryMarshal.GetArrayDataReference(columnSums);
            if (columnSums.Length < dw || buffer.Length < 2 * dw)
            {
                throw new ArgumentException("Upsampling buffers are too short.");
            }

            for (var x = 0; x < dw; x++)
            {
                Unsafe.Add(ref sums, x) = (Unsafe.Add(ref cur, x) * 3) + Unsafe.Add(ref nbr, x);
            }

            var thisSum = columnSums[0];
            var nextSum = columnSums[1];
            buffer[0] = (byte)(((thisSum * 4) + 8) >> 4);
            buffer[1] = (byte)(((thisSum * 3) + nextSum + 7) >> 4);
            var lastSum = thisSum;
            thisSum = nextSum;
            ref var outRef = ref MemoryMarshal.GetArrayDataReference(buffer);
            for (var x = 1; x < dw - 1; x++)
            {
                nextSum = Unsafe.Add(ref sums, x + 1);
                var three = thisSum * 3;
                Unsafe.Add(ref outRef, 2 * x) = (byte)((three + lastSum + 8) >> 4);
                Unsafe.Add(ref outRef, (2 * x) + 1) = (byte)((three + nextSum + 7) >> 4);
                lastSum = thisSum;
                thisSum = nextSum;
            }

            buffer[(2 * dw) - 2] = (byte)(((thisSum * 3) + lastSum + 8) >> 4);
            buffer[(2 * dw) - 1] = (byte)(((thisSum * 4) + 7) >> 4);
            return buffer;
        }

        // Replication (libjpeg's plain and integer-factor upsampling).
        var source = plane.AsSpan(y / vr * stride, stride);
        for (var x = 0; x < width; x++)
        {
            buffer[x] = source[x / hr];
        }

        return buffer;
    }
}
