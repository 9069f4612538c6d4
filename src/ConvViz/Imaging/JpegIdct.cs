// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvViz.Imaging;

/// <summary>
/// The accurate integer inverse DCT of the IJG reference decoder (libjpeg's default <c>JDCT_ISLOW</c>, the
/// Loeffler–Ligtenberg–Moschytz factorisation with 13-bit constants): columns first with two extra fraction bits,
/// then rows, each result rounded by adding half before the arithmetic shift. Where the arithmetic leaves 16 bits
/// (only for extreme coefficients, e.g. in corrupt or truncated data), it behaves as libjpeg-turbo's x86-64 SIMD
/// version, which Pillow runs: 16-bit dequantisation and pairwise sums, 32-bit products, results saturated to 16
/// bits after each pass and the output clamped to 0–255. Written from the published algorithm.
/// Where AVX2 is available the eight columns (then the eight rows) are computed at once in 32-bit lanes with exactly
/// the scalar integer operations, so the samples do not depend on the CPU; a block with only a DC coefficient is a
/// constant and is filled without the transform.
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
        Check(coefficients, quant, output, offset, stride);
        if (Vector128.IsHardwareAccelerated && OnlyDc(coefficients))
        {
            // All AC terms zero: every sample is the same (what both passes give, see TransformDcOnly).
            TransformDcOnly(coefficients, quant, output, offset, stride);
            return;
        }

        if (IsVectorized)
        {
            TransformVector(coefficients, quant, output, offset, stride);
            return;
        }

        TransformScalar(coefficients, quant, workspace, output, offset, stride);
    }

    /// <summary>Gets a value indicating whether <see cref="Transform"/> runs the AVX2 version (the same integers as the scalar one).</summary>
    public static bool IsVectorized => Avx2.IsSupported;

    /// <summary>The block with only a DC coefficient: the column pass gives Saturate16(dc·q·4) in column 0, the row pass its descaled sample everywhere.</summary>
    /// <param name="coefficients">64 quantised coefficients in natural order (only the first is read).</param>
    /// <param name="quant">64 quantisation steps in natural order.</param>
    /// <param name="output">The destination plane.</param>
    /// <param name="offset">The index of the block's top-left sample.</param>
    /// <param name="stride">The plane's row length.</param>
    internal static void TransformDcOnly(ReadOnlySpan<short> coefficients, ReadOnlySpan<int> quant, Span<byte> output, int offset, int stride)
    {
        Check(coefficients, quant, output, offset, stride);
        var dc = Saturate16((short)(coefficients[0] * quant[0]) << Pass1Bits);
        var value = ToSample((dc + (1 << (Pass1Bits + 2))) >> (Pass1Bits + 3));
        ref var outRow = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), offset);
        for (var row = 0; row < 8; row++, outRow = ref Unsafe.Add(ref outRow, stride))
        {
            Unsafe.InitBlockUnaligned(ref outRow, value, 8);
        }
    }

    /// <summary>Whether the 63 AC coefficients are all zero.</summary>
    private static bool OnlyDc(ReadOnlySpan<short> coefficients)
    {
        ref var c = ref MemoryMarshal.GetReference(coefficients);
        var any = Vector128.LoadUnsafe(ref c) & Vector128.Create(0, -1, -1, -1, -1, -1, -1, -1);
        for (nuint i = 8; i < 64; i += 8)
        {
            any |= Vector128.LoadUnsafe(ref c, i);
        }

        return any == Vector128<short>.Zero;
    }

    private static void Check(ReadOnlySpan<short> coefficients, ReadOnlySpan<int> quant, Span<byte> output, int offset, int stride)
    {
        if (coefficients.Length < 64 || quant.Length < 64 || offset < 0 || stride < 8 || output.Length < offset + (7L * stride) + 8)
        {
            throw new ArgumentException("IDCT buffers are too small.");
        }
    }

    /// <summary>The scalar transform (the reference for the vector one; used where AVX2 is missing).</summary>
    /// <param name="coefficients">64 quantised coefficients in natural (row-major) order.</param>
    /// <param name="quant">64 quantisation steps in natural order.</param>
    /// <param name="workspace">64 ints of scratch space.</param>
    /// <param name="output">The destination plane.</param>
    /// <param name="offset">The index of the block's top-left sample in <paramref name="output"/>.</param>
    /// <param name="stride">The plane's row length.</param>
    internal static void TransformScalar(ReadOnlySpan<short> coefficients, ReadOnlySpan<int> quant, Span<int> workspace, Span<byte> output, int offset, int stride)
    {
        Check(coefficients, quant, output, offset, stride);
        if (workspace.Length < 64)
        {
            throw new ArgumentException("The IDCT workspace is too small.", nameof(workspace));
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

    /// <summary>
    /// The AVX2 transform: the column pass on eight 32-bit lanes (one per column), a transpose, the row pass on eight
    /// lanes (one per row), a transpose back; every operation is the scalar one (32-bit wrapping products and sums,
    /// 16-bit truncation by shifting left and back, saturation by min/max).
    /// </summary>
    /// <param name="coefficients">64 quantised coefficients in natural (row-major) order.</param>
    /// <param name="quant">64 quantisation steps in natural order.</param>
    /// <param name="output">The destination plane.</param>
    /// <param name="offset">The index of the block's top-left sample in <paramref name="output"/>.</param>
    /// <param name="stride">The plane's row length.</param>
    internal static void TransformVector(ReadOnlySpan<short> coefficients, ReadOnlySpan<int> quant, Span<byte> output, int offset, int stride)
    {
        if (!Avx2.IsSupported)
        {
            throw new PlatformNotSupportedException("The vector IDCT needs AVX2.");
        }

        Check(coefficients, quant, output, offset, stride);
        ref var c = ref MemoryMarshal.GetReference(coefficients);
        ref var q = ref MemoryMarshal.GetReference(quant);
        var r0 = DequantizeRow(ref c, ref q, 0);
        var r1 = DequantizeRow(ref c, ref q, 8);
        var r2 = DequantizeRow(ref c, ref q, 16);
        var r3 = DequantizeRow(ref c, ref q, 24);
        var r4 = DequantizeRow(ref c, ref q, 32);
        var r5 = DequantizeRow(ref c, ref q, 40);
        var r6 = DequantizeRow(ref c, ref q, 48);
        var r7 = DequantizeRow(ref c, ref q, 56);

        // Columns: results descaled by 11 bits and saturated to 16 bits.
        const int shift1 = ConstBits - Pass1Bits;
        Butterfly(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        var round1 = Vector256.Create(1 << (shift1 - 1));
        var min16 = Vector256.Create((int)short.MinValue);
        var max16 = Vector256.Create((int)short.MaxValue);
        r0 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r0 + round1, shift1), min16), max16);
        r1 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r1 + round1, shift1), min16), max16);
        r2 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r2 + round1, shift1), min16), max16);
        r3 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r3 + round1, shift1), min16), max16);
        r4 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r4 + round1, shift1), min16), max16);
        r5 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r5 + round1, shift1), min16), max16);
        r6 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r6 + round1, shift1), min16), max16);
        r7 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r7 + round1, shift1), min16), max16);

        // Rows: lane r of vector k is the workspace value at row r, column k.
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Butterfly(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        const int shift2 = ConstBits + Pass1Bits + 3;
        var round2 = Vector256.Create(1 << (shift2 - 1));
        var min8 = Vector256.Create(-128);
        var max8 = Vector256.Create(127);
        var center = Vector256.Create(128);
        r0 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r0 + round2, shift2), min8), max8) + center;
        r1 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r1 + round2, shift2), min8), max8) + center;
        r2 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r2 + round2, shift2), min8), max8) + center;
        r3 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r3 + round2, shift2), min8), max8) + center;
        r4 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r4 + round2, shift2), min8), max8) + center;
        r5 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r5 + round2, shift2), min8), max8) + center;
        r6 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r6 + round2, shift2), min8), max8) + center;
        r7 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(r7 + round2, shift2), min8), max8) + center;

        // Back to rows of samples (0–255, so the saturating packs only narrow), in row order.
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        var top = Avx2.PermuteVar8x32(Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(r0, r1), Avx2.PackSignedSaturate(r2, r3)).AsInt32(), order).AsUInt64();
        var bottom = Avx2.PermuteVar8x32(Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(r4, r5), Avx2.PackSignedSaturate(r6, r7)).AsInt32(), order).AsUInt64();
        ref var o = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), offset);
        Unsafe.WriteUnaligned(ref o, top.GetElement(0));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, stride), top.GetElement(1));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, 2 * stride), top.GetElement(2));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, 3 * stride), top.GetElement(3));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, 4 * stride), bottom.GetElement(0));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, 5 * stride), bottom.GetElement(1));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, 6 * stride), bottom.GetElement(2));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, 7 * stride), bottom.GetElement(3));
    }

    /// <summary>One row of eight coefficients times their steps, truncated to 16 bits, in 32-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DequantizeRow(ref short coefficients, ref int steps, nuint index)
    {
        var product = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref coefficients, index)) * Vector256.LoadUnsafe(ref steps, index);
        return Truncate16(product);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Truncate16(Vector256<int> value) => Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(value, 16), 16);

    /// <summary>The 1-D transform of <see cref="PassColumn"/> on eight lanes; the inputs are replaced by the undescaled outputs 0–7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Butterfly(ref Vector256<int> in0, ref Vector256<int> in1, ref Vector256<int> in2, ref Vector256<int> in3, ref Vector256<int> in4, ref Vector256<int> in5, ref Vector256<int> in6, ref Vector256<int> in7)
    {
        // Even part.
        var z1 = (in2 + in6) * Vector256.Create(Fix0541196100);
        var tmp2 = z1 + (in6 * Vector256.Create(-Fix1847759065));
        var tmp3 = z1 + (in2 * Vector256.Create(Fix0765366865));
        var tmp0 = Vector256.ShiftLeft(Truncate16(in0 + in4), ConstBits);
        var tmp1 = Vector256.ShiftLeft(Truncate16(in0 - in4), ConstBits);
        var tmp10 = tmp0 + tmp3;
        var tmp13 = tmp0 - tmp3;
        var tmp11 = tmp1 + tmp2;
        var tmp12 = tmp1 - tmp2;

        // Odd part: inputs 7, 5, 3, 1.
        var z3 = Truncate16(in7 + in3);
        var z4 = Truncate16(in5 + in1);
        var z5 = (z3 + z4) * Vector256.Create(Fix1175875602);
        var oz1 = (in7 + in1) * Vector256.Create(-Fix0899976223);
        var oz2 = (in5 + in3) * Vector256.Create(-Fix2562915447);
        z3 = (z3 * Vector256.Create(-Fix1961570560)) + z5;
        z4 = (z4 * Vector256.Create(-Fix0390180644)) + z5;
        var t0 = (in7 * Vector256.Create(Fix0298631336)) + oz1 + z3;
        var t1 = (in5 * Vector256.Create(Fix2053119869)) + oz2 + z4;
        var t2 = (in3 * Vector256.Create(Fix3072711026)) + oz2 + z3;
        var t3 = (in1 * Vector256.Create(Fix1501321110)) + oz1 + z4;

        in0 = tmp10 + t3;
        in7 = tmp10 - t3;
        in1 = tmp11 + t2;
        in6 = tmp11 - t2;
        in2 = tmp12 + t1;
        in5 = tmp12 - t1;
        in3 = tmp13 + t0;
        in4 = tmp13 - t0;
    }

    /// <summary>Transposes the 8×8 matrix whose rows are the eight vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Vector256<int> r0, ref Vector256<int> r1, ref Vector256<int> r2, ref Vector256<int> r3, ref Vector256<int> r4, ref Vector256<int> r5, ref Vector256<int> r6, ref Vector256<int> r7)
    {
        var t0 = Avx2.UnpackLow(r0, r1).AsInt64();
        var t1 = Avx2.UnpackHigh(r0, r1).AsInt64();
        var t2 = Avx2.UnpackLow(r2, r3).AsInt64();
        var t3 = Avx2.UnpackHigh(r2, r3).AsInt64();
        var t4 = Avx2.UnpackLow(r4, r5).AsInt64();
        var t5 = Avx2.UnpackHigh(r4, r5).AsInt64();
        var t6 = Avx2.UnpackLow(r6, r7).AsInt64();
        var t7 = Avx2.UnpackHigh(r6, r7).AsInt64();
        var u0 = Avx2.UnpackLow(t0, t2).AsInt32();
        var u1 = Avx2.UnpackHigh(t0, t2).AsInt32();
        var u2 = Avx2.UnpackLow(t1, t3).AsInt32();
        var u3 = Avx2.UnpackHigh(t1, t3).AsInt32();
        var u4 = Avx2.UnpackLow(t4, t6).AsInt32();
        var u5 = Avx2.UnpackHigh(t4, t6).AsInt32();
        var u6 = Avx2.UnpackLow(t5, t7).AsInt32();
        var u7 = Avx2.UnpackHigh(t5, t7).AsInt32();
        r0 = Avx2.Permute2x128(u0, u4, 0x20);
        r4 = Avx2.Permute2x128(u0, u4, 0x31);
        r1 = Avx2.Permute2x128(u1, u5, 0x20);
        r5 = Avx2.Permute2x128(u1, u5, 0x31);
        r2 = Avx2.Permute2x128(u2, u6, 0x20);
        r6 = Avx2.Permute2x128(u2, u6, 0x31);
        r3 = Avx2.Permute2x128(u3, u7, 0x20);
        r7 = Avx2.Permute2x128(u3, u7, 0x31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Saturate16(int value) => Math.Clamp(value, short.MinValue, short.MaxValue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte ToSample(int value) => (byte)(Math.Clamp(value, -128, 127) + 128);
}
