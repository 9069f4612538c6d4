// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvViz.Imaging;

/// <summary>
/// The accurate integer inverse DCT of the IJG reference decoder (libjpeg's default <c>JDCT_ISLOW</c>, the
/// Loeffler–Ligtenberg–Moschytz factorisation with 13-bit constants): columns first with two extra fraction bits,
/// then rows, each result rounded by adding half before the arithmetic shift. Where the arithmetic leaves 16 bits
/// (only for extreme coefficients, e.g. in corrupt or truncated data), it behaves as libjpeg-turbo's x86-64 SIMD
/// version, which Pillow runs: 16-bit dequantisation and pairwise sums, 32-bit products, results saturated to 16
/// bits after each pass and the output clamped to 0–255. Written from the published algorithm.
/// </summary>
internal static class JpegIdct
{
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;
    private const int Fix0298631336 = 2446;
    private const int Fix0390180644 = 3196;
    private const int Fix0541196100 = 4433;
    private const int Fix0765366865 = 6270;
    private const int Fix0899976223 = 7373;
    private const int Fix1175875602 = 9633;
    private const int Fix1501321110 = 12299;
    private const int Fix1847759065 = 15137;
    private const int Fix1961570560 = 16069;
    private const int Fix2053119869 = 16819;
    private const int Fix2562915447 = 20995;
    private const int Fix3072711026 = 25172;

    /// <summary>Transforms one block of quantised coefficients into 8×8 samples.</summary>
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
                var dc = Saturate16(Dequantize(ref ci, ref qi, 0) << Pass1Bits);
                for (var r = 0; r < 64; r += 8)
                {
                    Unsafe.Add(ref wi, r) = dc;
                }

                continue;
            }

            PassColumn(
                Dequantize(ref ci, ref qi, 0),
                Dequantize(ref ci, ref qi, 8),
                Dequantize(ref ci, ref qi, 16),
                Dequantize(ref ci, ref qi, 24),
                Dequantize(ref ci, ref qi, 32),
                Dequantize(ref ci, ref qi, 40),
                Dequantize(ref ci, ref qi, 48),
                Dequantize(ref ci, ref qi, 56),
                ref wi);
        }

        ref var outRow = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), offset);
        for (var row = 0; row < 8; row++, outRow = ref Unsafe.Add(ref outRow, stride))
        {
            ref var w = ref Unsafe.Add(ref ws, row * 8);
            if (Unsafe.Add(ref w, 1) == 0 && Unsafe.Add(ref w, 2) == 0 && Unsafe.Add(ref w, 3) == 0 && Unsafe.Add(ref w, 4) == 0 &&
                Unsafe.Add(ref w, 5) == 0 && Unsafe.Add(ref w, 6) == 0 && Unsafe.Add(ref w, 7) == 0)
            {
                var value = ToSample((w + (1 << (Pass1Bits + 2))) >> (Pass1Bits + 3));
                Unsafe.InitBlockUnaligned(ref outRow, value, 8);
                continue;
            }

            PassRow(w, Unsafe.Add(ref w, 1), Unsafe.Add(ref w, 2), Unsafe.Add(ref w, 3), Unsafe.Add(ref w, 4), Unsafe.Add(ref w, 5), Unsafe.Add(ref w, 6), Unsafe.Add(ref w, 7), ref outRow);
        }
    }

    /// <summary>The 16-bit product of a coefficient and its quantisation step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Dequantize(ref short coefficient, ref int step, int index) => (short)(Unsafe.Add(ref coefficient, index) * Unsafe.Add(ref step, index));

    /// <summary>The column pass: 16-bit inputs in row order 0–7, results descaled and saturated to 16 bits into a workspace column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PassColumn(int in0, int in1, int in2, int in3, int in4, int in5, int in6, int in7, ref int output)
    {
        // Even part.
        var z1 = (in2 + in6) * Fix0541196100;
        var tmp2 = z1 + (in6 * -Fix1847759065);
        var tmp3 = z1 + (in2 * Fix0765366865);
        var tmp0 = (int)(short)(in0 + in4) << ConstBits;
        var tmp1 = (int)(short)(in0 - in4) << ConstBits;
        var tmp10 = tmp0 + tmp3;
        var tmp13 = tmp0 - tmp3;
        var tmp11 = tmp1 + tmp2;
        var tmp12 = tmp1 - tmp2;

        // Odd part: inputs 7, 5, 3, 1.
        var z3 = (int)(short)(in7 + in3);
        var z4 = (int)(short)(in5 + in1);
        var z5 = (z3 + z4) * Fix1175875602;
        var oz1 = (in7 + in1) * -Fix0899976223;
        var oz2 = (in5 + in3) * -Fix2562915447;
        z3 = (z3 * -Fix1961570560) + z5;
        z4 = (z4 * -Fix0390180644) + z5;
        var t0 = (in7 * Fix0298631336) + oz1 + z3;
        var t1 = (in5 * Fix2053119869) + oz2 + z4;
        var t2 = (in3 * Fix3072711026) + oz2 + z3;
        var t3 = (in1 * Fix1501321110) + oz1 + z4;

        const int shift = ConstBits - Pass1Bits;
        const int round = 1 << (shift - 1);
        output = Saturate16((tmp10 + t3 + round) >> shift);
        Unsafe.Add(ref output, 56) = Saturate16((tmp10 - t3 + round) >> shift);
        Unsafe.Add(ref output, 8) = Saturate16((tmp11 + t2 + round) >> shift);
        Unsafe.Add(ref output, 48) = Saturate16((tmp11 - t2 + round) >> shift);
        Unsafe.Add(ref output, 16) = Saturate16((tmp12 + t1 + round) >> shift);
        Unsafe.Add(ref output, 40) = Saturate16((tmp12 - t1 + round) >> shift);
        Unsafe.Add(ref output, 24) = Saturate16((tmp13 + t0 + round) >> shift);
        Unsafe.Add(ref output, 32) = Saturate16((tmp13 - t0 + round) >> shift);
    }

    /// <summary>The row pass: workspace values of one row, results descaled, clamped and level-shifted into 8 samples.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PassRow(int in0, int in1, int in2, int in3, int in4, int in5, int in6, int in7, ref byte output)
    {
        // Even part.
        var z1 = (in2 + in6) * Fix0541196100;
        var tmp2 = z1 + (in6 * -Fix1847759065);
        var tmp3 = z1 + (in2 * Fix0765366865);
        var tmp0 = (int)(short)(in0 + in4) << ConstBits;
        var tmp1 = (int)(short)(in0 - in4) << ConstBits;
        var tmp10 = tmp0 + tmp3;
        var tmp13 = tmp0 - tmp3;
        var tmp11 = tmp1 + tmp2;
        var tmp12 = tmp1 - tmp2;

        // Odd part: inputs 7, 5, 3, 1.
        var z3 = (int)(short)(in7 + in3);
        var z4 = (int)(short)(in5 + in1);
        var z5 = (z3 + z4) * Fix1175875602;
        var oz1 = (in7 + in1) * -Fix0899976223;
        var oz2 = (in5 + in3) * -Fix2562915447;
        z3 = (z3 * -Fix1961570560) + z5;
        z4 = (z4 * -Fix0390180644) + z5;
        var t0 = (in7 * Fix0298631336) + oz1 + z3;
        var t1 = (in5 * Fix2053119869) + oz2 + z4;
        var t2 = (in3 * Fix3072711026) + oz2 + z3;
        var t3 = (in1 * Fix1501321110) + oz1 + z4;

        const int shift = ConstBits + Pass1Bits + 3;
        const int round = 1 << (shift - 1);
        output = ToSample((tmp10 + t3 + round) >> shift);
        Unsafe.Add(ref output, 7) = ToSample((tmp10 - t3 + round) >> shift);
        Unsafe.Add(ref output, 1) = ToSample((tmp11 + t2 + round) >> shift);
        Unsafe.Add(ref output, 6) = ToSample((tmp11 - t2 + round) >> shift);
        Unsafe.Add(ref output, 2) = ToSample((tmp12 + t1 + round) >> shift);
        Unsafe.Add(ref output, 5) = ToSample((tmp12 - t1 + round) >> shift);
        Unsafe.Add(ref output, 3) = ToSample((tmp13 + t0 + round) >> shift);
        Unsafe.Add(ref output, 4) = ToSample((tmp13 - t0 + round) >> shift);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Saturate16(int value) => Math.Clamp(value, short.MinValue, short.MaxValue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte ToSample(int value) => (byte)(Math.Clamp(value, -128, 127) + 128);
}
