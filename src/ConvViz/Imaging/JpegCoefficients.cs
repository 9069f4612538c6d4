// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ConvViz.Imaging;

/// <summary>
/// Helpers for blocks of 64 coefficients. A progressive JPEG keeps its coefficients in zig-zag order between scans, so
/// that a spectral band (Ss–Se) is a contiguous run of a block and a 64-bit mask tells which coefficients of it are
/// nonzero (what an AC refinement scan needs for every block); the blocks go to natural order just before the IDCT.
/// </summary>
internal static class JpegCoefficients
{
    /// <summary>Returns a mask with bit i set where <paramref name="block"/>[i] is nonzero.</summary>
    /// <param name="block">64 coefficients.</param>
    /// <returns>The mask.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong NonzeroMask(ReadOnlySpan<short> block)
    {
        if (block.Length < 64)
        {
            throw new ArgumentException("A block has 64 coefficients.", nameof(block));
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return NonzeroMask256(block);
        }

        return Vector128.IsHardwareAccelerated ? NonzeroMask128(block) : NonzeroMaskScalar(block);
    }

    /// <summary><see cref="NonzeroMask"/> on 256-bit vectors: four compares, two narrowing packs, two byte masks.</summary>
    /// <param name="block">64 coefficients.</param>
    /// <returns>The mask.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong NonzeroMask256(ReadOnlySpan<short> block)
    {
        if (block.Length < 64)
        {
            throw new ArgumentException("A block has 64 coefficients.", nameof(block));
        }

        ref var b = ref MemoryMarshal.GetReference(block);
        var zero = Vector256<short>.Zero;
        var low = Vector256.Narrow(Vector256.Equals(Vector256.LoadUnsafe(ref b), zero), Vector256.Equals(Vector256.LoadUnsafe(ref b, 16), zero));
        var high = Vector256.Narrow(Vector256.Equals(Vector256.LoadUnsafe(ref b, 32), zero), Vector256.Equals(Vector256.LoadUnsafe(ref b, 48), zero));
        return ~(low.ExtractMostSignificantBits() | ((ulong)high.ExtractMostSignificantBits() << 32));
    }

    /// <summary><see cref="NonzeroMask"/> on 128-bit vectors.</summary>
    /// <param name="block">64 coefficients.</param>
    /// <returns>The mask.</returns>
    internal static ulong NonzeroMask128(ReadOnlySpan<short> block)
    {
        if (block.Length < 64)
        {
            throw new ArgumentException("A block has 64 coefficients.", nameof(block));
        }

        ref var b = ref MemoryMarshal.GetReference(block);
        var zero = Vector128<short>.Zero;
        ulong zeros = 0;
        for (var i = 0; i < 4; i++)
        {
            var pair = Vector128.Narrow(Vector128.Equals(Vector128.LoadUnsafe(ref b, (nuint)(16 * i)), zero), Vector128.Equals(Vector128.LoadUnsafe(ref b, (nuint)((16 * i) + 8)), zero));
            zeros |= (ulong)pair.ExtractMostSignificantBits() << (16 * i);
        }

        return ~zeros;
    }

    /// <summary>The scalar <see cref="NonzeroMask"/> (the reference for the vector one).</summary>
    /// <param name="block">64 coefficients.</param>
    /// <returns>The mask.</returns>
    internal static ulong NonzeroMaskScalar(ReadOnlySpan<short> block)
    {
        ulong mask = 0;
        for (var i = 0; i < 64; i++)
        {
            mask |= (block[i] != 0 ? 1UL : 0UL) << i;
        }

        return mask;
    }

    /// <summary>Reorders a block from zig-zag to natural (row-major) order.</summary>
    /// <param name="zigzag">64 coefficients in zig-zag order.</param>
    /// <param name="natural">Receives the 64 coefficients in natural order.</param>
    public static void ZigZagToNatural(ReadOnlySpan<short> zigzag, Span<short> natural) => ZigZagToNatural(zigzag, natural, NonzeroMask(zigzag));

    /// <summary>Reorders a block from zig-zag to natural order, given its <see cref="NonzeroMask"/>.</summary>
    /// <param name="zigzag">64 coefficients in zig-zag order.</param>
    /// <param name="natural">Receives the 64 coefficients in natural order.</param>
    /// <param name="nonzero">The block's nonzero mask (only these coefficients are moved, the rest of <paramref name="natural"/> is zeroed).</param>
    public static void ZigZagToNatural(ReadOnlySpan<short> zigzag, Span<short> natural, ulong nonzero)
    {
        if (zigzag.Length < 64 || natural.Length < 64)
        {
            throw new ArgumentException("A block has 64 coefficients.");
        }

        // Only the nonzero coefficients move (a mask bit is a zig-zag index below 64, the table maps it below 64).
        var mask = nonzero;
        natural[..64].Clear();
        ref var z = ref MemoryMarshal.GetReference(zigzag);
        ref var n = ref MemoryMarshal.GetReference(natural);
        ref var order = ref MemoryMarshal.GetReference(JpegTables.NaturalOrder);
        while (mask != 0)
        {
            var i = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            Unsafe.Add(ref n, Unsafe.Add(ref order, i)) = Unsafe.Add(ref z, i);
        }
    }

    /// <summary>Whether the 63 AC coefficients are all zero (the same test in natural and zig-zag order).</summary>
    /// <param name="block">64 coefficients.</param>
    /// <returns><see langword="true"/> when only the DC coefficient can be nonzero.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool OnlyDc(ReadOnlySpan<short> block) => (NonzeroMask(block) & ~1UL) == 0;
}
