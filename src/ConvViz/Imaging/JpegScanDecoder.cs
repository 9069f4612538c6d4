// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;

namespace ConvViz.Imaging;

/// <summary>
/// Decodes the entropy-coded data of one scan (T.81 F.2 sequential, G.1.2 progressive): MCU order, restart intervals
/// with libjpeg's resynchronisation rules, and libjpeg's handling of data that runs out (the rest of the segment stays
/// zero). A single-pass sequential image is transformed to samples block by block; otherwise the coefficients are kept.
/// </summary>
internal sealed class JpegScanDecoder
{
    private readonly byte[] _data;
    private readonly JpegScan _scan;
    private readonly JpegBitReader _reader;
    private readonly int[] _dcPredictors = new int[4];
    private int _eobRun;
    private int _restartsToGo;
    private int _nextRestart;

    /// <summary>Whether the data had run out when the current MCU started (libjpeg checks once per MCU, then leaves the whole MCU zero).</summary>
    private bool _skipMcu;

    /// <summary>Creates the decoder for a scan whose entropy-coded data starts at <paramref name="position"/>.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="position">The first byte after the SOS segment.</param>
    /// <param name="scan">The scan parameters.</param>
    /// <param name="owner">The frame decoder (for errors).</param>
    public JpegScanDecoder(byte[] data, int position, JpegScan scan, JpegDecoder owner)
    {
        _ = owner;
        _data = data;
        _scan = scan;
        _reader = new JpegBitReader(data, position);
        _restartsToGo = scan.RestartInterval;
    }

    /// <summary>Decodes every MCU of the scan.</summary>
    /// <returns>The position from which to look for the next marker.</returns>
    public int Run()
    {
        var scan = _scan;
        if (scan.Progressive)
        {
            if (scan.Ss == 0)
            {
                RunProgressiveDc();
            }
            else
            {
                RunProgressiveAc();
            }

            return _reader.Position;
        }

        var components = scan.Components;
        Span<short> block = stackalloc short[64];
        Span<int> workspace = stackalloc int[64];
        if (components.Length == 1)
        {
            var c = components[0];
            for (var by = 0; by < c.HeightInBlocks; by++)
            {
                for (var bx = 0; bx < c.WidthInBlocks; bx++)
                {
                    BeginMcu();
                    DecodeBlock(c, 0, by, bx, block, workspace);
                }
            }
        }
        else
        {
            for (var my = 0; my < scan.McuRows; my++)
            {
                for (var mx = 0; mx < scan.McusPerLine; mx++)
                {
                    BeginMcu();
                    for (var i = 0; i < components.Length; i++)
                    {
                        var c = components[i];
                        for (var v = 0; v < c.V; v++)
                        {
                            for (var h = 0; h < c.H; h++)
                            {
                                DecodeBlock(c, i, (my * c.V) + v, (mx * c.H) + h, block, workspace);
                            }
                        }
                    }
                }
            }
        }

        return _reader.Position;
    }

    private void BeginMcu()
    {
        if (_scan.RestartInterval != 0)
        {
            if (_restartsToGo == 0)
            {
                ProcessRestart();
            }

            _restartsToGo--;
        }

        _skipMcu = _reader.Insufficient;
    }

    /// <summary>A block of a sequential scan: transformed at once, or stored (natural order) for a multi-scan image.</summary>
    private void DecodeBlock(JpegComponent c, int index, int by, int bx, Span<short> block, Span<int> workspace)
    {
        if (c.Coefficients is null)
        {
            block.Clear();
            if (!_skipMcu)
            {
                DecodeSequential(c, index, block);
            }

            var stride = c.BlocksPerLine * 8;
            JpegIdct.Transform(block, c.Quant!, workspace, c.Plane!, (by * 8 * stride) + (bx * 8), stride);
            return;
        }

        if (!_skipMcu)
        {
            DecodeSequential(c, index, c.Coefficients.AsSpan(((by * c.BlocksPerLine) + bx) * 64, 64));
        }
    }

    private void DecodeSequential(JpegComponent c, int index, Span<short> block) =>
        _reader.DecodeSequentialBlock(c.DcTable!, c.AcTable!, block, ref _dcPredictors[index]);

    /// <summary>A progressive DC scan (first or refinement), of one component or interleaved, in MCU order.</summary>
    private void RunProgressiveDc()
    {
        var scan = _scan;
        var components = scan.Components;
        if (components.Length == 1)
        {
            var c = components[0];
            for (var by = 0; by < c.HeightInBlocks; by++)
            {
                for (var bx = 0; bx < c.WidthInBlocks; bx++)
                {
                    BeginMcu();
                    if (!_skipMcu)
                    {
                        DecodeDc(c, 0, by, bx);
                    }
                }
            }

            return;
        }

        for (var my = 0; my < scan.McuRows; my++)
        {
            for (var mx = 0; mx < scan.McusPerLine; mx++)
            {
                BeginMcu();
                if (_skipMcu)
                {
                    continue;
                }

                for (var i = 0; i < components.Length; i++)
                {
                    var c = components[i];
                    for (var v = 0; v < c.V; v++)
                    {
                        for (var h = 0; h < c.H; h++)
                        {
                            DecodeDc(c, i, (my * c.V) + v, (mx * c.H) + h);
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DecodeDc(JpegComponent c, int index, int by, int bx)
    {
        // The DC coefficient is the first of the block in zig-zag order as in natural order.
        ref var dc = ref c.Coefficients![((by * c.BlocksPerLine) + bx) * 64];
        if (_scan.Ah == 0)
        {
            var predictor = _dcPredictors[index] + _reader.DecodeDcDifference(c.DcTable!);
            _dcPredictors[index] = predictor;
            dc = (short)(predictor << _scan.Al);
        }
        else if (_reader.GetBit() != 0)
        {
            dc |= (short)(1 << _scan.Al);
        }
    }

    /// <summary>
    /// A progressive AC scan (always of one component), block by block over the component's blocks (libjpeg's MCU of one
    /// block), into the coefficients kept in zig-zag order. In a first scan, the blocks of an end-of-band run are
    /// skipped together up to the end of the row (without a restart interval, nothing else can happen to them).
    /// </summary>
    private void RunProgressiveAc()
    {
        var scan = _scan;
        var c = scan.Components[0];
        var table = c.AcTable!;
        var reader = _reader;
        var coefficients = c.Coefficients!;
        var (ss, se, al) = (scan.Ss, scan.Se, scan.Al);
        var refine = scan.Ah != 0;
        var restarts = scan.RestartInterval != 0;
        var width = c.WidthInBlocks;
        for (var by = 0; by < c.HeightInBlocks; by++)
        {
            var row = by * c.BlocksPerLine * 64;
            for (var bx = 0; bx < width; bx++)
            {
                if (restarts)
                {
                    if (_restartsToGo == 0)
                    {
                        ProcessRestart();
                    }

                    _restartsToGo--;
                }

                // libjpeg's check once per MCU: once the data has run out, the rest of the segment stays as it is.
                if (reader.Insufficient)
                {
                    continue;
                }

                if (refine)
                {
                    reader.DecodeAcRefineBlockZigZag(table, coefficients.AsSpan(row + (bx * 64), 64), ss, se, al, ref _eobRun);
                }
                else if (_eobRun > 0)
                {
                    if (restarts)
                    {
                        _eobRun--;
                    }
                    else
                    {
                        var skipped = Math.Min(_eobRun, width - bx);
                        _eobRun -= skipped;
                        bx += skipped - 1;
                    }
                }
                else
                {
                    _eobRun = reader.DecodeAcFirstBlock(table, coefficients.AsSpan(row + (bx * 64), 64), ss, se, al, zigZagStorage: true);
                }
            }
        }
    }

    /// <summary>libjpeg's process_restart: discard buffered bits, read the expected RSTn (or resynchronise), reset predictors.</summary>
    private void ProcessRestart()
    {
        var reader = _reader;
        reader.DiscardBits();
        var (code, start, after) = FindMarker(reader.Position);
        var desired = _nextRestart;
        var resume = true;
        if (code != 0xD0 + desired)
        {
            // libjpeg's jpeg_resync_to_restart.
            while (true)
            {
                int action;
                if (code < 0xC0)
                {
                    action = 2;
                }
                else if (code is < 0xD0 or > 0xD7)
                {
                    action = 3;
                }
                else if (code == 0xD0 + ((desired + 1) & 7) || code == 0xD0 + ((desired + 2) & 7))
                {
                    action = 3;
                }
                else if (code == 0xD0 + ((desired - 1) & 7) || code == 0xD0 + ((desired - 2) & 7))
                {
                    action = 2;
                }
                else
                {
                    action = 1;
                }

                if (action == 1)
                {
                    break;
                }

                if (action == 3)
                {
                    // Leave the marker for later: the rest of this interval reads as missing data.
                    reader.StopAt(start);
                    resume = false;
                    break;
                }

                (code, start, after) = FindMarker(after);
            }
        }

        if (resume)
        {
            reader.ResumeAt(after);
            reader.Insufficient = false;
        }

        _nextRestart = (desired + 1) & 7;
        _eobRun = 0;
        Array.Clear(_dcPredictors);
        _restartsToGo = _scan.RestartInterval;
    }

    /// <summary>libjpeg's next_marker from <paramref name="position"/>: (marker code, position of its 0xFF, position after it); the end of the data reads as EOI.</summary>
    private (int Code, int Start, int After) FindMarker(int position)
    {
        var data = _data;
        while (true)
        {
            while (position < data.Length && data[position] != 0xFF)
            {
                position++;
            }

            var start = position;
            while (position < data.Length && data[position] == 0xFF)
            {
                position++;
            }

            if (position >= data.Length)
            {
                return (0xD9, data.Length, data.Length);
            }

            var code = data[position++];
            if (code != 0)
            {
                return (code, start, position);
            }
        }
    }
}
