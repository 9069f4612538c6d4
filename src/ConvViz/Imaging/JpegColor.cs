// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvViz.Imaging;

/// <summary>
/// Turns decoded component planes into RGB rows as libjpeg-turbo 2.1 with its defaults and then Pillow do:
/// "fancy" upsampling (a triangle filter: each output sample is 3/4 of the nearer and 1/4 of the farther input
/// sample, with libjpeg's alternating rounding biases; edges replicated) for 2×1, 1×2 and 2×2 subsampled components
/// and sample replication for other integer factors; YCbCr→RGB with 16-bit fixed-point tables rounded as libjpeg
/// rounds them; and for CMYK files Pillow's Adobe polarity and its <c>convert("RGB")</c> formula.
/// The YCbCr→RGB conversion and the 2×1 and 2×2 fancy upsampling run on vectors where the CPU has them (AVX2 for the
/// colour, 128-bit vectors for the upsampling), computing the same integers as the scalar loops, which handle the rest.
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

        var columnSums = new ushort[bufferLength];
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

    /// <summary>Converts a row of YCbCr samples to interleaved RGB (vectors for whole groups of 16 where AVX2 is available).</summary>
    /// <param name="luma">The Y samples (their count is the row length).</param>
    /// <param name="cb">The Cb samples.</param>
    /// <param name="cr">The Cr samples.</param>
    /// <param name="output">Receives 3 bytes per sample.</param>
    internal static void YCbCrToRgb(ReadOnlySpan<byte> luma, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> output)
    {
        var done = IsVectorized ? YCbCrToRgbVector(luma, cb, cr, output) : 0;
        YCbCrToRgbScalar(luma[done..], cb[done..], cr[done..], output[(3 * done)..]);
    }

    /// <summary>Gets a value indicating whether the AVX2 colour conversion runs (the same integers as the scalar one).</summary>
    internal static bool IsVectorized => Avx2.IsSupported;

    /// <summary>
    /// The colour conversion of the scalar loop, 16 samples at a time in 32-bit lanes: the table entries are computed
    /// (the same products and shifts), the saturating packs clamp to 0–255, and byte shuffles interleave R, G, B.
    /// </summary>
    /// <returns>The number of samples converted (a multiple of 16); the caller converts the rest.</returns>
    internal static int YCbCrToRgbVector(ReadOnlySpan<byte> luma, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> output)
    {
        var count = luma.Length;
        if (!Avx2.IsSupported || cb.Length < count || cr.Length < count || output.Length < 3 * count)
        {
            return 0;
        }

        ref var yRef = ref MemoryMarshal.GetReference(luma);
        ref var cbRef = ref MemoryMarshal.GetReference(cb);
        ref var crRef = ref MemoryMarshal.GetReference(cr);
        ref var o = ref MemoryMarshal.GetReference(output);
        var half = Vector256.Create(OneHalf);
        var center = Vector256.Create(128);
        var crR = Vector256.Create(91881);
        var cbB = Vector256.Create(116130);
        var crG = Vector256.Create(-46802);
        var cbG = Vector256.Create(-22554);

        // Output byte j of the three 16-byte stores takes channel (16k + j) % 3 of sample (16k + j) / 3; 0x80 gives 0.
        var r0 = Vector128.Create((byte)0, 0x80, 0x80, 1, 0x80, 0x80, 2, 0x80, 0x80, 3, 0x80, 0x80, 4, 0x80, 0x80, 5);
        var g0 = Vector128.Create((byte)0x80, 0, 0x80, 0x80, 1, 0x80, 0x80, 2, 0x80, 0x80, 3, 0x80, 0x80, 4, 0x80, 0x80);
        var b0 = Vector128.Create((byte)0x80, 0x80, 0, 0x80, 0x80, 1, 0x80, 0x80, 2, 0x80, 0x80, 3, 0x80, 0x80, 4, 0x80);
        var r1 = Vector128.Create((byte)0x80, 0x80, 6, 0x80, 0x80, 7, 0x80, 0x80, 8, 0x80, 0x80, 9, 0x80, 0x80, 10, 0x80);
        var g1 = Vector128.Create((byte)5, 0x80, 0x80, 6, 0x80, 0x80, 7, 0x80, 0x80, 8, 0x80, 0x80, 9, 0x80, 0x80, 10);
        var b1 = Vector128.Create((byte)0x80, 5, 0x80, 0x80, 6, 0x80, 0x80, 7, 0x80, 0x80, 8, 0x80, 0x80, 9, 0x80, 0x80);
        var r2 = Vector128.Create((byte)0x80, 11, 0x80, 0x80, 12, 0x80, 0x80, 13, 0x80, 0x80, 14, 0x80, 0x80, 15, 0x80, 0x80);
        var g2 = Vector128.Create((byte)0x80, 0x80, 11, 0x80, 0x80, 12, 0x80, 0x80, 13, 0x80, 0x80, 14, 0x80, 0x80, 15, 0x80);
        var b2 = Vector128.Create((byte)10, 0x80, 0x80, 11, 0x80, 0x80, 12, 0x80, 0x80, 13, 0x80, 0x80, 14, 0x80, 0x80, 15);
        var x = 0;
        for (; x + 16 <= count; x += 16)
        {
            var y8 = Vector128.LoadUnsafe(ref yRef, (nuint)x);
            var cb8 = Vector128.LoadUnsafe(ref cbRef, (nuint)x);
            var cr8 = Vector128.LoadUnsafe(ref crRef, (nuint)x);
            var yLow = Avx2.ConvertToVector256Int32(y8);
            var yHigh = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(y8, 8));
            var cbLow = Avx2.ConvertToVector256Int32(cb8) - center;
            var cbHigh = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(cb8, 8)) - center;
            var crLow = Avx2.ConvertToVector256Int32(cr8) - center;
            var crHigh = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(cr8, 8)) - center;
            var red = Pack(
                yLow + Vector256.ShiftRightArithmetic((crLow * crR) + half, ScaleBits),
                yHigh + Vector256.ShiftRightArithmetic((crHigh * crR) + half, ScaleBits));
            var green = Pack(
                yLow + Vector256.ShiftRightArithmetic((cbLow * cbG) + half + (crLow * crG), ScaleBits),
                yHigh + Vector256.ShiftRightArithmetic((cbHigh * cbG) + half + (crHigh * crG), ScaleBits));
            var blue = Pack(
                yLow + Vector256.ShiftRightArithmetic((cbLow * cbB) + half, ScaleBits),
                yHigh + Vector256.ShiftRightArithmetic((cbHigh * cbB) + half, ScaleBits));
            ref var destination = ref Unsafe.Add(ref o, 3 * x);
            (Ssse3.Shuffle(red, r0) | Ssse3.Shuffle(green, g0) | Ssse3.Shuffle(blue, b0)).StoreUnsafe(ref destination);
            (Ssse3.Shuffle(red, r1) | Ssse3.Shuffle(green, g1) | Ssse3.Shuffle(blue, b1)).StoreUnsafe(ref destination, 16);
            (Ssse3.Shuffle(red, r2) | Ssse3.Shuffle(green, g2) | Ssse3.Shuffle(blue, b2)).StoreUnsafe(ref destination, 32);
        }

        return x;

        // 16 values (samples 0–7, then 8–15) clamped to 0–255 as bytes in order.
        static Vector128<byte> Pack(Vector256<int> low, Vector256<int> high)
        {
            var shorts = Avx2.Permute4x64(Avx2.PackSignedSaturate(low, high).AsInt64(), 0b11_01_10_00).AsInt16();
            return Sse2.PackUnsignedSaturate(shorts.GetLower(), shorts.GetUpper());
        }
    }

    /// <summary>The scalar colour conversion (table lookups as libjpeg's).</summary>
    /// <param name="luma">The Y samples (their count is the row length).</param>
    /// <param name="cb">The Cb samples.</param>
    /// <param name="cr">The Cr samples.</param>
    /// <param name="output">Receives 3 bytes per sample.</param>
    internal static void YCbCrToRgbScalar(ReadOnlySpan<byte> luma, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> output)
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
    /// converts with R = (255 − K) − (C·(255 − K))/255, rounded as its MULDIV255 macro rounds. Plain CMYK runs on
    /// vectors where AVX2 is available (the same integers), YCCK and the rest of a row on the scalar loop.
    /// </summary>
    /// <param name="c0">The first component's samples (their count is the row length).</param>
    /// <param name="c1">The second component's samples.</param>
    /// <param name="c2">The third component's samples.</param>
    /// <param name="c3">The fourth component's samples.</param>
    /// <param name="ycck">Whether the components are YCCK rather than CMYK.</param>
    /// <param name="output">Receives 3 bytes per sample.</param>
    internal static void CmykToRgb(ReadOnlySpan<byte> c0, ReadOnlySpan<byte> c1, ReadOnlySpan<byte> c2, ReadOnlySpan<byte> c3, bool ycck, Span<byte> output)
    {
        var done = !ycck && IsVectorized ? CmykToRgbVector(c0, c1, c2, c3, output) : 0;
        CmykToRgbScalar(c0[done..], c1[done..], c2[done..], c3[done..], ycck, output[(3 * done)..]);
    }

    /// <summary>
    /// The CMYK conversion of the scalar loop, 16 samples at a time in 16-bit lanes (every intermediate value of
    /// MULDIV255 stays below 65,536), interleaved to RGB by the byte shuffles of <see cref="YCbCrToRgbVector"/>.
    /// </summary>
    /// <returns>The number of samples converted (a multiple of 16); the caller converts the rest.</returns>
    internal static int CmykToRgbVector(ReadOnlySpan<byte> c0, ReadOnlySpan<byte> c1, ReadOnlySpan<byte> c2, ReadOnlySpan<byte> c3, Span<byte> output)
    {
        var count = c0.Length;
        if (!Avx2.IsSupported || c1.Length < count || c2.Length < count || c3.Length < count || output.Length < 3 * count)
        {
            return 0;
        }

        ref var cRef = ref MemoryMarshal.GetReference(c0);
        ref var mRef = ref MemoryMarshal.GetReference(c1);
        ref var yRef = ref MemoryMarshal.GetReference(c2);
        ref var kRef = ref MemoryMarshal.GetReference(c3);
        ref var o = ref MemoryMarshal.GetReference(output);
        // Output byte j of the three 16-byte stores takes channel (16k + j) % 3 of sample (16k + j) / 3; 0x80 gives 0.
        var r0 = Vector128.Create((byte)0, 0x80, 0x80, 1, 0x80, 0x80, 2, 0x80, 0x80, 3, 0x80, 0x80, 4, 0x80, 0x80, 5);
        var g0 = Vector128.Create((byte)0x80, 0, 0x80, 0x80, 1, 0x80, 0x80, 2, 0x80, 0x80, 3, 0x80, 0x80, 4, 0x80, 0x80);
        var b0 = Vector128.Create((byte)0x80, 0x80, 0, 0x80, 0x80, 1, 0x80, 0x80, 2, 0x80, 0x80, 3, 0x80, 0x80, 4, 0x80);
        var r1 = Vector128.Create((byte)0x80, 0x80, 6, 0x80, 0x80, 7, 0x80, 0x80, 8, 0x80, 0x80, 9, 0x80, 0x80, 10, 0x80);
        var g1 = Vector128.Create((byte)5, 0x80, 0x80, 6, 0x80, 0x80, 7, 0x80, 0x80, 8, 0x80, 0x80, 9, 0x80, 0x80, 10);
        var b1 = Vector128.Create((byte)0x80, 5, 0x80, 0x80, 6, 0x80, 0x80, 7, 0x80, 0x80, 8, 0x80, 0x80, 9, 0x80, 0x80);
        var r2 = Vector128.Create((byte)0x80, 11, 0x80, 0x80, 12, 0x80, 0x80, 13, 0x80, 0x80, 14, 0x80, 0x80, 15, 0x80, 0x80);
        var g2 = Vector128.Create((byte)0x80, 0x80, 11, 0x80, 0x80, 12, 0x80, 0x80, 13, 0x80, 0x80, 14, 0x80, 0x80, 15, 0x80);
        var b2 = Vector128.Create((byte)10, 0x80, 0x80, 11, 0x80, 0x80, 12, 0x80, 0x80, 13, 0x80, 0x80, 14, 0x80, 0x80, 15);
        var x = 0;
        for (; x + 16 <= count; x += 16)
        {
            var (kLow, kHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref kRef, (nuint)x));
            var red = Channel(Vector128.LoadUnsafe(ref cRef, (nuint)x), kLow, kHigh);
            var green = Channel(Vector128.LoadUnsafe(ref mRef, (nuint)x), kLow, kHigh);
            var blue = Channel(Vector128.LoadUnsafe(ref yRef, (nuint)x), kLow, kHigh);
            ref var destination = ref Unsafe.Add(ref o, 3 * x);
            (Ssse3.Shuffle(red, r0) | Ssse3.Shuffle(green, g0) | Ssse3.Shuffle(blue, b0)).StoreUnsafe(ref destination);
            (Ssse3.Shuffle(red, r1) | Ssse3.Shuffle(green, g1) | Ssse3.Shuffle(blue, b1)).StoreUnsafe(ref destination, 16);
            (Ssse3.Shuffle(red, r2) | Ssse3.Shuffle(green, g2) | Ssse3.Shuffle(blue, b2)).StoreUnsafe(ref destination, 32);
        }

        return x;

        // nk − MULDIV255(255 − c, nk) for 16 samples.
        static Vector128<byte> Channel(Vector128<byte> c, Vector128<ushort> kLow, Vector128<ushort> kHigh)
        {
            var (low, high) = Vector128.Widen(Vector128.Create((byte)255) - c);
            return Vector128.Narrow(kLow - MulDiv255(low, kLow), kHigh - MulDiv255(high, kHigh));
        }

        static Vector128<ushort> MulDiv255(Vector128<ushort> a, Vector128<ushort> b)
        {
            var t = (a * b) + Vector128.Create((ushort)128);
            return Vector128.ShiftRightLogical(Vector128.ShiftRightLogical(t, 8) + t, 8);
        }
    }

    /// <summary>The scalar CMYK/YCCK conversion (the reference for the vector one).</summary>
    /// <param name="c0">The first component's samples (their count is the row length).</param>
    /// <param name="c1">The second component's samples.</param>
    /// <param name="c2">The third component's samples.</param>
    /// <param name="c3">The fourth component's samples.</param>
    /// <param name="ycck">Whether the components are YCCK rather than CMYK.</param>
    /// <param name="output">Receives 3 bytes per sample.</param>
    internal static void CmykToRgbScalar(ReadOnlySpan<byte> c0, ReadOnlySpan<byte> c1, ReadOnlySpan<byte> c2, ReadOnlySpan<byte> c3, bool ycck, Span<byte> output)
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
    private static ReadOnlySpan<byte> Upsample(JpegComponent c, int y, int width, int maxH, int maxV, byte[] buffer, ushort[] columnSums)
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
            UpsampleH2V1(plane.AsSpan(y * stride, dw), buffer);
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

            UpsampleH2V2(current[..dw], neighbour[..dw], columnSums, buffer);
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

    /// <summary>
    /// libjpeg's h2v1 fancy upsampling of one row of <paramref name="row"/>.Length (at least 3) samples into twice as
    /// many: 3/4 of the sample and 1/4 of its neighbour, rounding biases 1 and 2; 16 samples at a time on vectors.
    /// </summary>
    /// <param name="row">The samples.</param>
    /// <param name="output">Receives 2 × <paramref name="row"/>.Length samples.</param>
    internal static void UpsampleH2V1(ReadOnlySpan<byte> row, Span<byte> output)
    {
        var dw = row.Length;
        if (dw < 3 || output.Length < 2 * dw)
        {
            throw new ArgumentException("Upsampling buffers are too short.");
        }

        output[0] = row[0];
        output[1] = (byte)(((row[0] * 3) + row[1] + 2) >> 2);
        var x = 1;
        if (Vector128.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            ref var r = ref MemoryMarshal.GetReference(row);
            ref var o = ref MemoryMarshal.GetReference(output);
            var one = Vector128.Create((ushort)1);
            var two = Vector128.Create((ushort)2);
            for (; x + 17 <= dw; x += 16)
            {
                var (leftLow, leftHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref r, (nuint)(x - 1)));
                var (midLow, midHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref r, (nuint)x));
                var (rightLow, rightHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref r, (nuint)(x + 1)));
                var threeLow = midLow * 3;
                var threeHigh = midHigh * 3;

                // Even output samples in the low bytes, odd ones in the high bytes: interleaved when stored.
                var low = Vector128.ShiftRightLogical(threeLow + leftLow + one, 2) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(threeLow + rightLow + two, 2), 8);
                var high = Vector128.ShiftRightLogical(threeHigh + leftHigh + one, 2) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(threeHigh + rightHigh + two, 2), 8);
                low.AsByte().StoreUnsafe(ref o, (nuint)(2 * x));
                high.AsByte().StoreUnsafe(ref o, (nuint)((2 * x) + 16));
            }
        }

        for (; x < dw - 1; x++)
        {
            var value = row[x] * 3;
            output[2 * x] = (byte)((value + row[x - 1] + 1) >> 2);
            output[(2 * x) + 1] = (byte)((value + row[x + 1] + 2) >> 2);
        }

        output[(2 * dw) - 2] = (byte)(((row[dw - 1] * 3) + row[dw - 2] + 1) >> 2);
        output[(2 * dw) - 1] = row[dw - 1];
    }

    /// <summary>
    /// libjpeg's h2v2 fancy upsampling of one output row: column sums 3 × <paramref name="current"/> +
    /// <paramref name="neighbour"/>, then the horizontal triangle filter with biases 8 and 7 (16 at a time on vectors).
    /// </summary>
    /// <param name="current">The nearer input row (at least 3 samples; its length is the row length).</param>
    /// <param name="neighbour">The farther input row.</param>
    /// <param name="sums">Scratch space for the column sums.</param>
    /// <param name="output">Receives 2 × <paramref name="current"/>.Length samples.</param>
    internal static void UpsampleH2V2(ReadOnlySpan<byte> current, ReadOnlySpan<byte> neighbour, Span<ushort> sums, Span<byte> output)
    {
        var dw = current.Length;
        if (dw < 3 || neighbour.Length < dw || sums.Length < dw || output.Length < 2 * dw)
        {
            throw new ArgumentException("Upsampling buffers are too short.");
        }

        var vectors = Vector128.IsHardwareAccelerated && BitConverter.IsLittleEndian;
        ref var cur = ref MemoryMarshal.GetReference(current);
        ref var nbr = ref MemoryMarshal.GetReference(neighbour);
        ref var sum = ref MemoryMarshal.GetReference(sums);
        ref var o = ref MemoryMarshal.GetReference(output);
        var x = 0;
        if (vectors)
        {
            for (; x + 16 <= dw; x += 16)
            {
                var (curLow, curHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref cur, (nuint)x));
                var (nbrLow, nbrHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref nbr, (nuint)x));
                ((curLow * 3) + nbrLow).StoreUnsafe(ref sum, (nuint)x);
                ((curHigh * 3) + nbrHigh).StoreUnsafe(ref sum, (nuint)(x + 8));
            }
        }

        for (; x < dw; x++)
        {
            Unsafe.Add(ref sum, x) = (ushort)((Unsafe.Add(ref cur, x) * 3) + Unsafe.Add(ref nbr, x));
        }

        int first = sums[0];
        output[0] = (byte)(((first * 4) + 8) >> 4);
        output[1] = (byte)(((first * 3) + sums[1] + 7) >> 4);
        x = 1;
        if (vectors)
        {
            var eight = Vector128.Create((ushort)8);
            var seven = Vector128.Create((ushort)7);
            for (; x + 9 <= dw; x += 8)
            {
                var left = Vector128.LoadUnsafe(ref sum, (nuint)(x - 1));
                var three = Vector128.LoadUnsafe(ref sum, (nuint)x) * 3;
                var right = Vector128.LoadUnsafe(ref sum, (nuint)(x + 1));
                var pair = Vector128.ShiftRightLogical(three + left + eight, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(three + right + seven, 4), 8);
                pair.AsByte().StoreUnsafe(ref o, (nuint)(2 * x));
            }
        }

        for (; x < dw - 1; x++)
        {
            var three = Unsafe.Add(ref sum, x) * 3;
            Unsafe.Add(ref o, 2 * x) = (byte)((three + Unsafe.Add(ref sum, x - 1) + 8) >> 4);
            Unsafe.Add(ref o, (2 * x) + 1) = (byte)((three + Unsafe.Add(ref sum, x + 1) + 7) >> 4);
        }

        int last = sums[dw - 1];
        output[(2 * dw) - 2] = (byte)(((last * 3) + sums[dw - 2] + 8) >> 4);
        output[(2 * dw) - 1] = (byte)(((last * 4) + 7) >> 4);
    }
}
