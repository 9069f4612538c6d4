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

    [Fact]
    public void YCbCrToRgb_VectorEqualsScalar_ForEveryColourAndRowLength()
    {
        var luma = new byte[256];
        var cb = new byte[256];
        var cr = new byte[256];
        var scalar = new byte[3 * 256];
        var vector = new byte[3 * 256];
        for (var i = 0; i < 256; i++)
        {
            luma[i] = (byte)i;
        }

        for (var b = 0; b < 256; b++)
        {
            for (var r = 0; r < 256; r++)
            {
                cb.AsSpan().Fill((byte)b);
                cr.AsSpan().Fill((byte)r);
                JpegColor.YCbCrToRgbScalar(luma, cb, cr, scalar);
                JpegColor.YCbCrToRgb(luma, cb, cr, vector);
                if (!scalar.AsSpan().SequenceEqual(vector))
                {
                    Assert.Fail($"Cb {b}, Cr {r}: the colour conversion differs from the scalar one");
                }
            }
        }

        // Row lengths that are not multiples of 16, with mixed samples.
        var random = new Random(29);
        for (var length = 1; length <= 70; length++)
        {
            random.NextBytes(luma);
            random.NextBytes(cb);
            random.NextBytes(cr);
            JpegColor.YCbCrToRgbScalar(luma.AsSpan(0, length), cb, cr, scalar);
            JpegColor.YCbCrToRgb(luma.AsSpan(0, length), cb, cr, vector);
            Assert.True(scalar.AsSpan(0, 3 * length).SequenceEqual(vector.AsSpan(0, 3 * length)), $"length {length}");
        }

        // Spot values from libjpeg's formula: R = Y + 1.402 (Cr − 128), rounded as its tables round.
        JpegColor.YCbCrToRgb([128, 0, 255], [128, 0, 255], [255, 0, 128], vector);
        Assert.Equal(new byte[] { 255, 37, 128, 0, 135, 0, 255, 211, 255 }, vector[..9]);
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, JpegColor.IsVectorized);
    }

    [Fact]
    public void FancyUpsampling_EqualsLibjpegFormula_OnRandomRows()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 3000; trial++)
        {
            var dw = random.Next(3, 90);
            var current = new byte[dw];
            var neighbour = new byte[dw];
            random.NextBytes(current);
            random.NextBytes(neighbour);
            if (trial % 3 == 0)
            {
                current.AsSpan().Fill(255);
                neighbour.AsSpan().Fill(255);
            }

            var output = new byte[(2 * dw) + 8];
            JpegColor.UpsampleH2V1(current, output);
            for (var x = 0; x < dw; x++)
            {
                // Each output sample: 3/4 of its input sample, 1/4 of the neighbour on its side (the sample itself at the edges).
                var left = current[Math.Max(x - 1, 0)];
                var right = current[Math.Min(x + 1, dw - 1)];
                Assert.Equal(x == 0 ? current[0] : (byte)(((3 * current[x]) + left + 1) >> 2), output[2 * x]);
                Assert.Equal(x == dw - 1 ? current[x] : (byte)(((3 * current[x]) + right + 2) >> 2), output[(2 * x) + 1]);
            }

            var sums = new ushort[dw];
            JpegColor.UpsampleH2V2(current, neighbour, sums, output);
            for (var x = 0; x < dw; x++)
            {
                int Sum(int i) => (3 * current[i]) + neighbour[i];
                var left = x == 0 ? Sum(0) : Sum(x - 1);
                var right = x == dw - 1 ? Sum(x) : Sum(x + 1);
                Assert.Equal((byte)(((3 * Sum(x)) + left + 8) >> 4), output[2 * x]);
                Assert.Equal((byte)(((3 * Sum(x)) + right + 7) >> 4), output[(2 * x) + 1]);
            }
        }
    }

    [Fact]
    public void HuffmanBlockDecoding_EqualsSymbolBySymbolDecoding_OnRandomEntropyData()
    {
        // Random entropy-coded bytes (0xFF stuffed) give every kind of code: short and long ones, invalid ones (libjpeg's
        // recovery), and at the end a marker or a cut where the zero padding starts. The block decoders that keep the
        // bit buffer in locals must read exactly what the symbol-by-symbol reads give.
        var dc = JpegHuffmanTable.Create(JpegStandardTables.DcLuminance[..16], JpegStandardTables.DcLuminance[16..], isDc: true)!;
        var ac = JpegHuffmanTable.Create(JpegStandardTables.AcLuminance[..16], JpegStandardTables.AcLuminance[16..], isDc: false)!;
        var random = new Random(41);
        var order = JpegTables.NaturalOrder;
        var padded = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var data = RandomEntropyData(random, random.Next(1, 400), trial % 3 == 0);
            var fast = new JpegBitReader(data, 0);
            var reference = new JpegBitReader(data, 0);
            var (fastPredictor, referencePredictor) = (0, 0);
            var (fastEob, referenceEob) = (0, 0);
            var progressive = trial % 2 == 1;
            for (var b = 0; b < 60; b++)
            {
                var fastBlock = new short[64];
                var referenceBlock = new short[64];
                if (!progressive)
                {
                    fast.DecodeSequentialBlock(dc, ac, fastBlock, ref fastPredictor);
                    var s = reference.Decode(dc);
                    referencePredictor += s == 0 ? 0 : Extend(reference.GetBits(s), s);
                    referenceBlock[0] = (short)referencePredictor;
                    for (var k = 1; k < 64; k++)
                    {
                        s = reference.Decode(ac);
                        var r = s >> 4;
                        s &= 15;
                        if (s != 0)
                        {
                            k += r;
                            referenceBlock[order[k]] = (short)Extend(reference.GetBits(s), s);
                        }
                        else if (r != 15)
                        {
                            break;
                        }
                        else
                        {
                            k += 15;
                        }
                    }
                }
                else
                {
                    const int ss = 1, se = 63, al = 1;
                    if (fastEob > 0)
                    {
                        fastEob--;
                    }
                    else
                    {
                        fastEob = fast.DecodeAcFirstBlock(ac, fastBlock, ss, se, al);
                    }

                    if (referenceEob > 0)
                    {
                        referenceEob--;
                    }
                    else
                    {
                        for (var k = ss; k <= se; k++)
                        {
                            var s = reference.Decode(ac);
                            var r = s >> 4;
                            s &= 15;
                            if (s != 0)
                            {
                                k += r;
                                referenceBlock[order[k]] = (short)(Extend(reference.GetBits(s), s) << al);
                            }
                            else if (r == 15)
                            {
                                k += 15;
                            }
                            else
                            {
                                referenceEob = (1 << r) + (r != 0 ? reference.GetBits(r) : 0) - 1;
                                break;
                            }
                        }
                    }
                }

                Assert.True(referenceBlock.AsSpan().SequenceEqual(fastBlock), $"trial {trial}, block {b}: coefficients differ");
                Assert.Equal((referencePredictor, referenceEob, reference.Insufficient), (fastPredictor, fastEob, fast.Insufficient));
            }

            padded += reference.Insufficient ? 1 : 0;
        }

        Assert.True(padded > 50, "the zero padding at the end of the data was exercised");
    }

    private static int Extend(int value, int bits) => value < (1 << (bits - 1)) ? value + (-1 << bits) + 1 : value;

    private static byte[] RandomEntropyData(Random random, int length, bool endWithMarker)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < length; i++)
        {
            var value = (byte)(random.Next(6) == 0 ? 0xFF : random.Next(256));
            bytes.Add(value);
            if (value == 0xFF)
            {
                bytes.Add(0);
            }
        }

        if (endWithMarker)
        {
            bytes.AddRange([0xFF, 0xD9]);
        }

        return [.. bytes];
    }
}
