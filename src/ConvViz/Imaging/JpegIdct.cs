// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvViz.Imaging;

/// <summary>
/// The accurate integer inverse DCT of the IJG reference decoder (libjpeg's default <c>JDCT_ISLOW</c>, the
/// Loeffler–Ligtenberg–Moschytz factorisation with 13-bit constants): columns first with two extra fraction bits,
/// then rows, each result rounded by adding half before the arithmetic shift, and the output clamped through the
/// same 10-bit wrap-around range table. Written from the published algorithm so its integer results are identical.
/// </summary>
internal static class JpegIdct
{
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;
    private const long Fix0298631336 = 2446;
    private const long Fix0390180644 = 3196;
    private const long Fix0541196100 = 4433;
    private const long Fix0765366865 = 6270;
    private const long Fix0899976223 = 7373;
    private const long Fix1175875602 = 9633;
    private const long Fix1501321110 = 12299;
    private const long Fix1847759065 = 15137;
    private const long Fix1961570560 = 16069;
    private const long Fix2053119869 = 16819;
    private const long Fix2562915447 = 20995;
    private const long Fix3072711026 = 25172;

    /// <summary>
    /// Gets the post-IDCT range table: index = value &amp; 1023 of a level-unshifted sample; values in [-128, 127]
    /// map to 0–255, larger ones to 255 and smaller ones to 0, with libjpeg's wrap-around beyond ±512.
    /// </summary>
    private static ReadOnlySpan<byte> RangeLimit => s_rangeLimit;

    private static readonly byte[] s_rangeLimit = CreateRangeLimit();

    /// <summary>Transforms one block of dequantised-on-the-fly coefficients into 8×8 samples.</summary>
    /// <param name="coefficients">64 quantised coefficients in natural (row-major) order.</param>
    /// <param name="quant">64 quantisation steps in natural order.</param>
    /// <param name="workspace">64 ints of scratch space.</param>
    /// <param name="output">The destination plane.</param>
    /// <param name="offset">The index of the block's top-left sample in <paramref name="output"/>.</param>
    /// <param name="stride">The plane's row length.</param>
    public static void Transform(ReadOnlySpan<short> coefficients, ReadOnlySpan<int> quant, Span<int> workspace, Span<byte> output, int offset, int stride)
    {
        if (coefficients.Length < 64 || quant.Length < 64 || workspace.Length < 64 || offset < 0 || output.Length < offset + (7 * stride) + 8)
        {
            throw new ArgumentException("IDCT buffers are too small.");
        }

        ref var c = ref MemoryMarshal.GetReference(coefficients);
        ref var q = ref MemoryMarshal.GetReference(quant);
        ref var ws = ref MemoryMarshal.GetReference(workspace);
        for (var col = 0; col < 8; col++)
        {
            ref var ci = ref Unsafe.Add(ref c, col);
            ref var qi = ref Unsafe.Add(ref q, col);
            ref var wi = ref Unsafe.Add(ref ws, col);
            if (Unsafe.Add(ref ci, 8) == 0 && Unsafe.Add(ref ci, 16) == 0 && Unsafe.Add(ref ci, 24) == 0 && Unsafe.Add(ref ci, 32) == 0 &&
                Unsafe.Add(ref ci, 40) == 0 && Unsafe.Add(ref ci, 48) == 0 && Unsafe.Add(ref ci, 56) == 0)
            {
                // AC terms all zero: the column is constant (the full computation gives the same value).
                var dc = (ci * qi) << Pass1Bits;
                for (var r = 0; r < 64; r += 8)
                {
                    Unsafe.Add(ref wi, r) = dc;
                }

                continue;
            }

            // Even part.
            long z2 = Unsafe.Add(ref ci, 16) * Unsafe.Add(ref qi, 16);
            long z3 = Unsafe.Add(ref ci, 48) * Unsafe.Add(ref qi, 48);
            var z1 = (z2 + z3) * Fix0541196100;
            var tmp2 = z1 + (z3 * -Fix1847759065);
            var tmp3 = z1 + (z2 * Fix0765366865);
            z2 = ci * qi;
            z3 = Unsafe.Add(ref ci, 32) * Unsafe.Add(ref qi, 32);
            var tmp0 = (z2 + z3) << ConstBits;
            var tmp1 = (z2 - z3) << ConstBits;
            var tmp10 = tmp0 + tmp3;
            var tmp13 = tmp0 - tmp3;
            var tmp11 = tmp1 + tmp2;
            var tmp12 = tmp1 - tmp2;

            // Odd part.
            tmp0 = Unsafe.Add(ref ci, 56) * Unsafe.Add(ref qi, 56);
            tmp1 = Unsafe.Add(ref ci, 40) * Unsafe.Add(ref qi, 40);
            tmp2 = Unsafe.Add(ref ci, 24) * Unsafe.Add(ref qi, 24);
            tmp3 = Unsafe.Add(ref ci, 8) * Unsafe.Add(ref qi, 8);
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int shift = ConstBits - Pass1Bits;
            const long round = 1L << (shift - 1);
            Unsafe.Add(ref wi, 0) = (int)((tmp10 + tmp3 + round) >> shift);
            Unsafe.Add(ref wi, 56) = (int)((tmp10 - tmp3 + round) >> shift);
            Unsafe.Add(ref wi, 8) = (int)((tmp11 + tmp2 + round) >> shift);
            Unsafe.Add(ref wi, 48) = (int)((tmp11 - tmp2 + round) >> shift);
            Unsafe.Add(ref wi, 16) = (int)((tmp12 + tmp1 + round) >> shift);
            Unsafe.Add(ref wi, 40) = (int)((tmp12 - tmp1 + round) >> shift);
            Unsafe.Add(ref wi, 24) = (int)((tmp13 + tmp0 + round) >> shift);
            Unsafe.Add(ref wi, 32) = (int)((tmp13 - tmp0 + round) >> shift);
        }

        ref var limit = ref MemoryMarshal.GetReference(RangeLimit);
        ref var outRow = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), offset);
        for (var row = 0; row < 8; row++, outRow = ref Unsafe.Add(ref outRow, stride))
        {
            ref var w = ref Unsafe.Add(ref ws, row * 8);
            if (Unsafe.Add(ref w, 1) == 0 && Unsafe.Add(ref w, 2) == 0 && Unsafe.Add(ref w, 3) == 0 && Unsafe.Add(ref w, 4) == 0 &&
                Unsafe.Add(ref w, 5) == 0 && Unsafe.Add(ref w, 6) == 0 && Unsafe.Add(ref w, 7) == 0)
            {
                var value = Unsafe.Add(ref limit, (int)((w + (1L << (Pass1Bits + 2))) >> (Pass1Bits + 3)) & 1023);
                Unsafe.InitBlockUnaligned(ref outRow, value, 8);
                continue;
            }

            long z2 = Unsafe.Add(ref w, 2);
            long z3 = Unsafe.Add(ref w, 6);
            var z1 = (z2 + z3) * Fix0541196100;
            var tmp2 = z1 + (z3 * -Fix1847759065);
            var tmp3 = z1 + (z2 * Fix0765366865);
            var tmp0 = ((long)w + Unsafe.Add(ref w, 4)) << ConstBits;
            var tmp1 = ((long)w - Unsafe.Add(ref w, 4)) << ConstBits;
            var tmp10 = tmp0 + tmp3;
            var tmp13 = tmp0 - tmp3;
            var tmp11 = tmp1 + tmp2;
            var tmp12 = tmp1 - tmp2;

            tmp0 = Unsafe.Add(ref w, 7);
            tmp1 = Unsafe.Add(ref w, 5);
            tmp2 = Unsafe.Add(ref w, 3);
            tmp3 = Unsafe.Add(ref w, 1);
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int shift = ConstBits + Pass1Bits + 3;
            const long round = 1L << (shift - 1);
            Unsafe.Add(ref outRow, 0) = Unsafe.Add(ref limit, (int)((tmp10 + tmp3 + round) >> shift) & 1023);
            Unsafe.Add(ref outRow, 7) = Unsafe.Add(ref limit, (int)((tmp10 - tmp3 + round) >> shift) & 1023);
            Unsafe.Add(ref outRow, 1) = Unsafe.Add(ref limit, (int)((tmp11 + tmp2 + round) >> shift) & 1023);
            Unsafe.Add(ref outRow, 6) = Unsafe.Add(ref limit, (int)((tmp11 - tmp2 + round) >> shift) & 1023);
            Unsafe.Add(ref outRow, 2) = Unsafe.Add(ref limit, (int)((tmp12 + tmp1 + round) >> shift) & 1023);
            Unsafe.Add(ref outRow, 5) = Unsafe.Add(ref limit, (int)((tmp12 - tmp1 + round) >> shift) & 1023);
            Unsafe.Add(ref outRow, 3) = Unsafe.Add(ref limit, (int)((tmp13 + tmp0 + round) >> shift) & 1023);
            Unsafe.Add(ref outRow, 4) = Unsafe.Add(ref limit, (int)((tmp13 - tmp0 + round) >> shift) & 1023);
        }
    }

    /// <summary>The odd part shared by both passes: inputs are the terms of rows/columns 7, 5, 3, 1; outputs replace them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Odd(ref long tmp0, ref long tmp1, ref long tmp2, ref long tmp3)
    {
        var z1 = tmp0 + tmp3;
        var z2 = tmp1 + tmp2;
        var z3 = tmp0 + tmp2;
        var z4 = tmp1 + tmp3;
        var z5 = (z3 + z4) * Fix1175875602;
        tmp0 *= Fix0298631336;
        tmp1 *= Fix2053119869;
        tmp2 *= Fix3072711026;
        tmp3 *= Fix1501321110;
        z1 *= -Fix0899976223;
        z2 *= -Fix2562915447;
        z3 = (z3 * -Fix1961570560) + z5;
        z4 = (z4 * -Fix0390180644) + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
    }

    private static byte[] CreateRangeLimit()
    {
        var table = new byte[1024];
        for (var i = 0; i < 1024; i++)
        {
            var x = i < 512 ? i : i - 1024;
            table[i] = (byte)Math.Clamp(x + 128, 0, 255);
        }

        return table;
    }
}
