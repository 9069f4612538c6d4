// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.Intrinsics.X86;
using ConvViz.Imaging;

namespace ConvViz.Tests.Data;

/// <summary>
/// The JPEG decoder's vector kernels against its scalar ones on seeded random inputs, including the extreme
/// coefficients of corrupt files (16-bit wrap-around and saturation): the samples must be the same integers whichever
/// path the CPU takes. (The decoded files themselves are checked against Pillow in <c>PillowJpegTests</c>.)
/// </summary>
public sealed class JpegKernelTests
{
    [Fact]
    public void Idct_VectorAndDcShortcut_EqualScalarOnRandomBlocks()
    {
        var random = new Random(29);
        var coefficients = new short[64];
        var quant = new int[64];
        var workspace = new int[64];
        const int stride = 27;
        const int offset = 3;
        var scalar = new byte[offset + (8 * stride)];
        var dispatched = new byte[scalar.Length];
        var vector = new byte[scalar.Length];
        var dcOnlyBlocks = 0;
        for (var trial = 0; trial < 20_000; trial++)
        {
            var kind = trial % 5;
            for (var i = 0; i < 64; i++)
            {
                quant[i] = kind == 4 ? (short)random.Next(0, 65536) : random.Next(1, 256);
                coefficients[i] = kind switch
                {
                    0 => (short)(random.Next(8) == 0 ? random.Next(-64, 65) : 0),      // sparse, typical
                    1 => (short)random.Next(-1024, 1025),                             // dense
                    2 => (short)(i == 0 ? random.Next(-2048, 2048) : 0),              // DC only
                    _ => (short)random.Next(short.MinValue, short.MaxValue + 1),      // extreme (corrupt data)
                };
            }

            if (kind == 3 && trial % 2 == 1)
            {
                Array.Clear(coefficients, 1, 63); // an extreme DC alone
            }

            dcOnlyBlocks += coefficients.AsSpan(1).IndexOfAnyExcept((short)0) < 0 ? 1 : 0;
            JpegIdct.TransformScalar(coefficients, quant, workspace, scalar, offset, stride);
            JpegIdct.Transform(coefficients, quant, workspace, dispatched, offset, stride);
            Assert.True(scalar.AsSpan().SequenceEqual(dispatched), $"trial {trial}: Transform differs from the scalar IDCT");
            if (Avx2.IsSupported)
            {
                JpegIdct.TransformVector(coefficients, quant, vector, offset, stride);
                Assert.True(scalar.AsSpan().SequenceEqual(vector), $"trial {trial}: the AVX2 IDCT differs from the scalar one");
            }

            if (coefficients.AsSpan(1).IndexOfAnyExcept((short)0) < 0)
            {
                JpegIdct.TransformDcOnly(coefficients, quant, vector, offset, stride);
                Assert.True(scalar.AsSpan().SequenceEqual(vector), $"trial {trial}: the DC-only shortcut differs from the scalar IDCT");
            }
        }

        Assert.True(dcOnlyBlocks > 5000, "the DC-only shortcut was exercised");
        Assert.Equal(Avx2.IsSupported, JpegIdct.IsVectorized);
    }
}
