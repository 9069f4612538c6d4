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
    public void CmykToRgb_VectorEqualsScalar_ForEveryInkAndRowLength()
    {
        // Every (ink, K) pair in the three channels, then random rows of every length up to 70 (CMYK and YCCK).
        var ink = new byte[256];
        var k = new byte[256];
        var scalar = new byte[3 * 256];
        var dispatched = new byte[3 * 256];
        for (var i = 0; i < 256; i++)
        {
            ink[i] = (byte)i;
        }

        for (var key = 0; key < 256; key++)
        {
            k.AsSpan().Fill((byte)key);
            var reversed = ink.Reverse().ToArray();
            JpegColor.CmykToRgbScalar(ink, reversed, ink, k, ycck: false, scalar);
            JpegColor.CmykToRgb(ink, reversed, ink, k, ycck: false, dispatched);
            Assert.True(scalar.AsSpan().SequenceEqual(dispatched), $"K {key}: the CMYK conversion differs from the scalar one");
            if (Avx2.IsSupported)
            {
                Assert.Equal(256, JpegColor.CmykToRgbVector(ink, reversed, ink, k, dispatched));
                Assert.True(scalar.AsSpan().SequenceEqual(dispatched), $"K {key}: the vector CMYK conversion differs from the scalar one");
            }
        }

        var random = new Random(31);
        var planes = new byte[4][];
        for (var length = 1; length <= 70; length++)
        {
            for (var p = 0; p < 4; p++)
            {
                planes[p] = new byte[length];
                random.NextBytes(planes[p]);
            }

            foreach (var ycck in new[] { false, true })
            {
                JpegColor.CmykToRgbScalar(planes[0], planes[1], planes[2], planes[3], ycck, scalar);
                JpegColor.CmykToRgb(planes[0], planes[1], planes[2], planes[3], ycck, dispatched);
                Assert.True(scalar.AsSpan(0, 3 * length).SequenceEqual(dispatched.AsSpan(0, 3 * length)), $"length {length}, YCCK {ycck}");
            }
        }

        // Pillow's formula on spot values: R = (255 − K') − C'·(255 − K')/255 with C' = 255 − C, K' = 255 − K.
        JpegColor.CmykToRgb([255, 0, 128], [255, 0, 64], [255, 0, 1], [255, 255, 200], ycck: false, dispatched);
        Assert.Equal(new byte[] { 255, 255, 255, 0, 0, 0, 100, 50, 1 }, dispatched[..9]);
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

    [Fact]
    public void AcRefineZigZag_EqualsCoefficientByCoefficientRefinement_OnRandomBlocksAndEntropyData()
    {
        // The mask-based refinement against libjpeg's loop over every coefficient (the reference, run on the same
        // zig-zag storage and on natural storage): random bands and bit positions, blocks with random earlier
        // coefficients (including extreme ones and ones whose refined bit is already set), entropy data with long and
        // invalid codes that ends at a marker or is cut, end-of-band runs carried from block to block.
        var tables = new[] { ProgressiveAcTable(), JpegHuffmanTable.Create(JpegStandardTables.AcLuminance[..16], JpegStandardTables.AcLuminance[16..], isDc: false)! };
        var random = new Random(53);
        var (padded, eobBlocks, newCoefficients) = (0, 0, 0);
        for (var trial = 0; trial < 1500; trial++)
        {
            var data = RandomEntropyData(random, random.Next(1, 300), trial % 3 == 0);
            var ac = tables[trial % 2];
            var fast = new JpegBitReader(data, 0);
            var reference = new JpegBitReader(data, 0);
            var natural = new JpegBitReader(data, 0);
            var ss = random.Next(1, 64);
            var se = random.Next(4) == 0 ? 63 : random.Next(ss, 64);
            var al = random.Next(5) == 0 ? random.Next(0, 14) : random.Next(0, 3);
            var eob = random.Next(8) == 0 ? random.Next(1, 5) : 0;
            var (fastEob, referenceEob, naturalEob) = (eob, eob, eob);
            for (var b = 0; b < 40; b++)
            {
                var zigzag = RandomCoefficients(random, al);
                var referenceBlock = zigzag.ToArray();
                var naturalBlock = new short[64];
                JpegCoefficients.ZigZagToNatural(zigzag, naturalBlock);
                var before = JpegCoefficients.NonzeroMask(zigzag);
                eobBlocks += fastEob > 0 ? 1 : 0;
                fast.DecodeAcRefineBlockZigZag(ac, zigzag, ss, se, al, ref fastEob);
                reference.DecodeAcRefineBlock(ac, referenceBlock, ss, se, al, ref referenceEob, zigZagStorage: true);
                natural.DecodeAcRefineBlock(ac, naturalBlock, ss, se, al, ref naturalEob);
                newCoefficients += System.Numerics.BitOperations.PopCount(JpegCoefficients.NonzeroMask(zigzag) & ~before);
                Assert.True(referenceBlock.AsSpan().SequenceEqual(zigzag), $"trial {trial}, block {b}: coefficients differ from the reference");
                var reordered = new short[64];
                JpegCoefficients.ZigZagToNatural(zigzag, reordered);
                Assert.True(naturalBlock.AsSpan().SequenceEqual(reordered), $"trial {trial}, block {b}: zig-zag storage differs from natural storage");
                Assert.Equal((referenceEob, reference.Insufficient), (fastEob, fast.Insufficient));
                Assert.Equal((referenceEob, reference.Insufficient), (naturalEob, natural.Insufficient));
            }

            // The readers stand at the same bit.
            Assert.Equal(reference.Position, fast.Position);
            Assert.Equal(reference.GetBits(16), fast.GetBits(16));
            padded += reference.Insufficient ? 1 : 0;
        }

        Assert.True(padded > 100, "the zero padding at the end of the data was exercised");
        Assert.True(eobBlocks > 1000 && newCoefficients > 1000, $"end-of-band blocks {eobBlocks}, new coefficients {newCoefficients}");
    }

    [Fact]
    public void AcFirstAndDcDecoding_EqualSymbolBySymbolDecoding_InBothStorageOrders()
    {
        var dc = JpegHuffmanTable.Create(JpegStandardTables.DcChrominance[..16], JpegStandardTables.DcChrominance[16..], isDc: true)!;
        var tables = new[] { ProgressiveAcTable(), JpegHuffmanTable.Create(JpegStandardTables.AcChrominance[..16], JpegStandardTables.AcChrominance[16..], isDc: false)! };
        var random = new Random(59);
        var padded = 0;
        for (var trial = 0; trial < 1500; trial++)
        {
            var data = RandomEntropyData(random, random.Next(1, 300), trial % 3 == 0);
            var ss = random.Next(1, 64);
            var se = random.Next(3) == 0 ? 63 : random.Next(ss, 64);
            var al = random.Next(0, 14);
            var ac = tables[(trial / 2) % 2];
            var readers = (Fast: new JpegBitReader(data, 0), ZigZag: new JpegBitReader(data, 0), Reference: new JpegBitReader(data, 0));
            var eob = (Fast: 0, ZigZag: 0, Reference: 0);
            for (var b = 0; b < 50; b++)
            {
                if (trial % 2 == 0)
                {
                    // DC first scan: the difference of a block.
                    var difference = readers.Fast.DecodeDcDifference(dc);
                    var s = readers.Reference.Decode(dc);
                    Assert.Equal(s == 0 ? 0 : Extend(readers.Reference.GetBits(s), s), difference);
                    Assert.Equal(readers.Reference.Insufficient, readers.Fast.Insufficient);
                    continue;
                }

                var naturalBlock = new short[64];
                var zigzagBlock = new short[64];
                var referenceBlock = new short[64];
                eob.Fast = eob.Fast > 0 ? eob.Fast - 1 : readers.Fast.DecodeAcFirstBlock(ac, naturalBlock, ss, se, al);
                eob.ZigZag = eob.ZigZag > 0 ? eob.ZigZag - 1 : readers.ZigZag.DecodeAcFirstBlock(ac, zigzagBlock, ss, se, al, zigZagStorage: true);
                eob.Reference = eob.Reference > 0 ? eob.Reference - 1 : AcFirstReference(readers.Reference, ac, referenceBlock, ss, se, al);
                Assert.True(referenceBlock.AsSpan().SequenceEqual(naturalBlock), $"trial {trial}, block {b}: natural order differs");
                var reordered = new short[64];
                JpegCoefficients.ZigZagToNatural(zigzagBlock, reordered);
                Assert.True(referenceBlock.AsSpan().SequenceEqual(reordered), $"trial {trial}, block {b}: zig-zag order differs");
                Assert.Equal((eob.Reference, readers.Reference.Insufficient), (eob.Fast, readers.Fast.Insufficient));
                Assert.Equal((eob.Reference, readers.Reference.Insufficient), (eob.ZigZag, readers.ZigZag.Insufficient));
            }

            // The readers stand at the same bit (the faster one may have loaded more bytes into its buffer).
            Assert.Equal(readers.Reference.GetBits(16), readers.Fast.GetBits(16));
            padded += readers.Reference.Insufficient ? 1 : 0;
        }

        Assert.True(padded > 100, "the zero padding at the end of the data was exercised");
    }

    [Fact]
    public void FastAcEntries_EqualTheEntryByEntryDefinition_ForStandardAndRandomTables()
    {
        var tables = new List<JpegHuffmanTable>
        {
            JpegHuffmanTable.Create(JpegStandardTables.AcLuminance[..16], JpegStandardTables.AcLuminance[16..], isDc: false)!,
            JpegHuffmanTable.Create(JpegStandardTables.AcChrominance[..16], JpegStandardTables.AcChrominance[16..], isDc: false)!,
            ProgressiveAcTable(),
        };
        var random = new Random(67);
        while (tables.Count < 500)
        {
            // Random code lengths that fit (Kraft), random distinct symbols, sometimes all the code space used.
            var counts = new byte[16];
            var space = 1.0;
            var total = 0;
            for (var length = 1; length <= 16 && total < 256; length++)
            {
                var most = (int)Math.Min(Math.Floor(space * (1 << length)), 256 - total);
                var n = length < 3 && random.Next(2) == 0 ? 0 : random.Next(0, Math.Min(most, 40) + 1);
                counts[length - 1] = (byte)n;
                total += n;
                space -= n / (double)(1 << length);
            }

            var symbols = Enumerable.Range(0, 256).Select(i => (byte)i).OrderBy(_ => random.Next()).Take(total).ToArray();
            if (JpegHuffmanTable.Create(counts, symbols, isDc: false) is { } table)
            {
                tables.Add(table);
            }
        }

        foreach (var table in tables)
        {
            Assert.Equal(JpegHuffmanTable.FastAcReference(table), table.FastAc);
        }

        var dc = JpegHuffmanTable.Create(JpegStandardTables.DcLuminance[..16], JpegStandardTables.DcLuminance[16..], isDc: true)!;
        Assert.All(dc.FastAc, entry => Assert.Equal(0, entry));
        Assert.Equal(512, dc.FastAc.Length);
    }

    [Fact]
    public void NonzeroMaskAndZigZagReordering_EqualScalarLoops()
    {
        var random = new Random(61);
        var natural = new short[64];
        for (var trial = 0; trial < 20_000; trial++)
        {
            var block = RandomCoefficients(random, random.Next(0, 3));
            if (trial % 7 == 0)
            {
                Array.Clear(block, 1, 63);
            }

            ulong expected = 0;
            for (var i = 0; i < 64; i++)
            {
                expected |= block[i] != 0 ? 1UL << i : 0;
            }

            Assert.Equal(expected, JpegCoefficients.NonzeroMask(block));
            Assert.Equal(expected, JpegCoefficients.NonzeroMaskScalar(block));
            if (System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
            {
                Assert.Equal(expected, JpegCoefficients.NonzeroMask128(block));
            }

            if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
            {
                Assert.Equal(expected, JpegCoefficients.NonzeroMask256(block));
            }

            Assert.Equal((expected & ~1UL) == 0, JpegCoefficients.OnlyDc(block));
            natural.AsSpan().Fill(-1);
            JpegCoefficients.ZigZagToNatural(block, natural);
            for (var i = 0; i < 64; i++)
            {
                Assert.Equal(block[i], natural[JpegTables.NaturalOrder[i]]);
            }
        }
    }

    /// <summary>
    /// An AC table as a progressive encoder makes them: end-of-band runs EOB0–EOB14, ZRL, the refinement symbols
    /// (run, size 1) and a few larger sizes, with part of the code space unused (invalid codes).
    /// </summary>
    private static JpegHuffmanTable ProgressiveAcTable()
    {
        byte[] counts = [0, 0, 2, 4, 8, 14, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] symbols =
        [
            0x01, 0x00, 0x11, 0x21, 0x10, 0x31, 0x41, 0x51, 0x20, 0x30, 0x61, 0x71, 0x81, 0x02, 0x40, 0x50, 0x91,
            0xA1, 0xB1, 0xC1, 0xD1, 0xE1, 0xF1, 0xF0, 0x60, 0x70, 0x80, 0x12, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0,
        ];
        return JpegHuffmanTable.Create(counts, symbols, isDc: false)!;
    }

    /// <summary>A progressive first AC scan's block, symbol by symbol with the reader's careful reads (natural order).</summary>
    private static int AcFirstReference(JpegBitReader reader, JpegHuffmanTable table, short[] block, int ss, int se, int al)
    {
        for (var k = ss; k <= se; k++)
        {
            var s = reader.Decode(table);
            var r = s >> 4;
            s &= 15;
            if (s != 0)
            {
                k += r;
                block[JpegTables.NaturalOrder[k]] = (short)(Extend(reader.GetBits(s), s) << al);
            }
            else if (r == 15)
            {
                k += 15;
            }
            else
            {
                return (1 << r) + (r != 0 ? reader.GetBits(r) : 0) - 1;
            }
        }

        return 0;
    }

    /// <summary>A block of earlier-scan coefficients: mostly sparse multiples of 2^(al + 1), some extreme values and some with bit al set.</summary>
    private static short[] RandomCoefficients(Random random, int al)
    {
        var block = new short[64];
        var density = random.Next(5) switch { 0 => 0, 1 => 2, 2 => 8, 3 => 30, _ => 64 };
        for (var i = 0; i < 64; i++)
        {
            if (random.Next(64) >= density)
            {
                continue;
            }

            block[i] = random.Next(10) switch
            {
                0 => short.MinValue,
                1 => short.MaxValue,
                2 => (short)random.Next(short.MinValue, short.MaxValue + 1),
                _ => (short)(random.Next(-40, 41) << (al + 1)),
            };
        }

        return block;
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
