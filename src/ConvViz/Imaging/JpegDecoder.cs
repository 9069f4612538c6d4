// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers;
using System.Buffers.Binary;

namespace ConvViz.Imaging;

/// <summary>
/// ConvViz's own JPEG decoder (ITU T.81): baseline and extended sequential Huffman and progressive Huffman, 8-bit,
/// greyscale, YCbCr, RGB, CMYK and YCCK, any integer chroma subsampling, restart intervals. Its arithmetic follows
/// the IJG reference decoder's defaults as libjpeg-turbo 2.1 (and so Pillow 9.4 and Keras' <c>load_img</c>) applies
/// them: the accurate integer IDCT (<see cref="JpegIdct"/>), "fancy" triangle-filter chroma upsampling and the 16-bit
/// fixed-point YCbCr→RGB tables (<see cref="JpegColor"/>), so decoded pixels are identical to Pillow's.
/// Every marker length is checked before it is read, and the frame size is checked against the decoding limits
/// before any buffer is allocated. Arithmetic-coded, lossless, hierarchical and 12-bit JPEG are refused.
/// </summary>
internal sealed class JpegDecoder
{
    /// <summary>The largest number of blocks in one MCU (T.81 B.2.3).</summary>
    private const int MaxBlocksInMcu = 10;

    private readonly byte[] _data;
    private readonly string _name;
    private readonly ImageDecodingOptions _options;
    private readonly JpegHuffmanTable?[] _dcTables = new JpegHuffmanTable?[4];
    private readonly JpegHuffmanTable?[] _acTables = new JpegHuffmanTable?[4];
    private readonly ushort[]?[] _quantTables = new ushort[]?[4];
    private JpegComponent[] _components = [];
    private int _position;
    private int _restartInterval;
    private bool _sawJfif;
    private bool _sawAdobe;
    private int _adobeTransform;
    private bool _progressive;
    private int _maxH;
    private int _maxV;
    private int _mcusPerLine;
    private int _mcuRows;
    private bool _coefficientMode;

    /// <summary>Creates a decoder for one file.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <param name="options">The limits.</param>
    public JpegDecoder(byte[] data, string name, ImageDecodingOptions options)
    {
        _data = data;
        _name = name;
        _options = options;
    }

    /// <summary>Gets the image width.</summary>
    public int Width { get; private set; }

    /// <summary>Gets the image height.</summary>
    public int Height { get; private set; }

    /// <summary>Returns whether the data starts like a JPEG file as Pillow recognises it (SOI followed by a marker).</summary>
    /// <param name="data">The file's first bytes.</param>
    /// <returns><see langword="true"/> for 0xFF 0xD8 0xFF.</returns>
    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    /// <summary>
    /// Reads the markers up to the first scan and checks the frame against the limits, without allocating pixel
    /// buffers. <see cref="Decode"/> continues from there.
    /// </summary>
    /// <exception cref="InvalidImageFileException">The header is malformed, unsupported or above the limits.</exception>
    public void ReadHeader()
    {
        if (!IsJpeg(_data))
        {
            throw Fail(ImageFileProblem.Corrupt, "the data does not start with a JPEG start-of-image marker (0xFF 0xD8 0xFF); Pillow does not open it either.");
        }

        _position = 2;
        while (true)
        {
            var marker = NextMarker(ref _position);
            if (marker < 0)
            {
                throw Fail(ImageFileProblem.Truncated, "the JPEG data ends before its first scan (truncated header). Replace the file.");
            }

            if (marker == 0xDA)
            {
                if (_components.Length == 0)
                {
                    throw Fail(ImageFileProblem.Corrupt, "the JPEG scan starts before the frame header (SOF).");
                }

                _position -= 2;
                return;
            }

            if (marker == 0xD9)
            {
                throw Fail(ImageFileProblem.Corrupt, "the JPEG file ends (EOI) before any image data.");
            }

            ReadSegment(marker, afterFirstScan: false);
        }
    }

    /// <summary>Decodes every scan and writes the pixels as RGB (greyscale replicated, as Pillow's <c>convert("RGB")</c>), row by row.</summary>
    /// <param name="destination">Receives <see cref="Width"/> × <see cref="Height"/> × 3 bytes.</param>
    /// <exception cref="InvalidImageFileException">The data is malformed or uses an unsupported variant.</exception>
    public void Decode(Span<byte> destination)
    {
        if (destination.Length < (long)Width * Height * 3)
        {
            throw new ArgumentException("The destination is too small.", nameof(destination));
        }

        var planes = new List<byte[]>();
        var coefficients = new List<short[]>();
        try
        {
            foreach (var c in _components)
            {
                c.Plane = ArrayPool<byte>.Shared.Rent(c.BlocksPerLine * 8 * c.BlockRows * 8);
                planes.Add(c.Plane);
            }

            DecodeScans(coefficients);
            if (_coefficientMode)
            {
                TransformCoefficients();
            }

            JpegColor.Write(this, _components, ColorTransform(), destination);
        }
        finally
        {
            foreach (var p in planes)
            {
                ArrayPool<byte>.Shared.Return(p);
            }

            foreach (var c in coefficients)
            {
                ArrayPool<short>.Shared.Return(c);
            }

            foreach (var c in _components)
            {
                c.Plane = null;
                c.Coefficients = null;
            }
        }
    }

    /// <summary>Creates the error for this file.</summary>
    /// <param name="problem">The problem.</param>
    /// <param name="detail">The sentence describing it.</param>
    /// <returns>The exception to throw.</returns>
    internal InvalidImageFileException Fail(ImageFileProblem problem, string detail) => new(_name, problem, detail);

    /// <summary>libjpeg's next_marker: skips bytes that are not 0xFF, fill bytes and stuffed zeros; returns the marker code or -1 at the end.</summary>
    private int NextMarker(ref int position)
    {
        var data = _data;
        while (true)
        {
            while (position < data.Length && data[position] != 0xFF)
            {
                position++;
            }

            while (position < data.Length && data[position] == 0xFF)
            {
                position++;
            }

            if (position >= data.Length)
            {
                return -1;
            }

            var marker = data[position++];
            if (marker != 0)
            {
                return marker;
            }
        }
    }

    /// <summary>Reads one marker segment at <see cref="_position"/> (just after the marker code).</summary>
    private void ReadSegment(int marker, bool afterFirstScan)
    {
        if (marker is >= 0xD0 and <= 0xD7)
        {
            return; // stray restart markers carry no length
        }

        if (marker == 0x01)
        {
            // TEM: libjpeg ignores it, but Pillow's header parser does not accept it.
            if (!afterFirstScan)
            {
                throw Fail(ImageFileProblem.Corrupt, "the JPEG header has an invalid marker 0xFF01.");
            }

            return;
        }

        if (marker is (>= 0x02 and <= 0xBF) or 0xC8 or 0xDE or 0xDF or (>= 0xF0 and <= 0xFD))
        {
            throw Fail(ImageFileProblem.Corrupt, $"the JPEG data has the reserved marker 0xFF{marker:X2}, which libjpeg (and so Pillow) refuses.");
        }

        if (marker == 0xD8)
        {
            throw Fail(ImageFileProblem.Corrupt, "the JPEG data has a second start-of-image marker.");
        }

        if (_position + 2 > _data.Length)
        {
            throw Fail(ImageFileProblem.Truncated, $"the JPEG data ends inside the marker 0xFF{marker:X2}. Replace the file.");
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(_data.AsSpan(_position));
        if (length < 2)
        {
            throw Fail(ImageFileProblem.Corrupt, $"the JPEG marker 0xFF{marker:X2} declares an invalid length {length}.");
        }

        if (_position + length > _data.Length)
        {
            var what = afterFirstScan ? " after the first scan (ConvViz cannot reproduce how libjpeg treats a cut inside a marker)" : string.Empty;
            throw Fail(ImageFileProblem.Truncated, $"the JPEG data ends inside the marker 0xFF{marker:X2}{what}. Replace the file.");
        }

        var segment = _data.AsSpan(_position + 2, length - 2);
        _position += length;
        switch (marker)
        {
            case 0xC0 or 0xC1 or 0xC2:
                ReadFrame(segment, marker == 0xC2);
                break;
            case 0xC3 or 0xC5 or 0xC6 or 0xC7 or 0xCB or 0xCD or 0xCE or 0xCF:
                throw Fail(ImageFileProblem.FormatNotEnabled, $"the JPEG uses lossless or hierarchical coding (SOF{marker - 0xC0}), which ConvViz does not decode. Convert the file to a baseline or progressive JPEG or to PNG.");
            case 0xC9 or 0xCA:
                throw Fail(ImageFileProblem.FormatNotEnabled, $"the JPEG uses arithmetic coding (SOF{marker - 0xC0}), which ConvViz does not decode. Convert the file to a baseline or progressive (Huffman) JPEG or to PNG.");
            case 0xC4:
                ReadHuffmanTables(segment);
                break;
            case 0xCC:
                throw Fail(ImageFileProblem.FormatNotEnabled, "the JPEG uses arithmetic coding (DAC marker), which ConvViz does not decode. Convert the file to a baseline or progressive (Huffman) JPEG or to PNG.");
            case 0xDB:
                ReadQuantizationTables(segment);
                break;
            case 0xDD:
                if (segment.Length != 2)
                {
                    throw Fail(ImageFileProblem.Corrupt, "the JPEG restart-interval (DRI) marker has a wrong length.");
                }

                _restartInterval = BinaryPrimitives.ReadUInt16BigEndian(segment);
                break;
            case 0xE0:
                // libjpeg's JFIF test: the identifier in an APP0 segment of at least 14 bytes.
                _sawJfif |= segment.Length >= 14 && segment[..5].SequenceEqual("JFIF\0"u8);
                break;
            case 0xEE:
                if (segment.Length >= 12 && segment[..5].SequenceEqual("Adobe"u8))
                {
                    _sawAdobe = true;
                    _adobeTransform = segment[11];
                }

                break;
        }
    }

    private void ReadFrame(ReadOnlySpan<byte> segment, bool progressive)
    {
        if (_components.Length != 0)
        {
            throw Fail(ImageFileProblem.Corrupt, "the JPEG file has more than one frame header (SOF).");
        }

        if (segment.Length < 6)
        {
            throw Fail(ImageFileProblem.Corrupt, "the JPEG frame header (SOF) is too short.");
        }

        var precision = segment[0];
        var height = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
        var width = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
        var count = segment[5];
        if (precision != 8)
        {
            throw Fail(ImageFileProblem.FormatNotEnabled, $"the JPEG has {precision}-bit samples; ConvViz (like Pillow) decodes only 8-bit JPEG. Convert the file to an 8-bit JPEG or to PNG.");
        }

        if (count is not (1 or 3 or 4))
        {
            throw Fail(ImageFileProblem.Corrupt, $"the JPEG has {count} components; only 1 (greyscale), 3 (colour) and 4 (CMYK) are images Pillow opens.");
        }

        if (segment.Length != 6 + (3 * count))
        {
            throw Fail(ImageFileProblem.Corrupt, "the JPEG frame header (SOF) length does not match its component count.");
        }

        if (width == 0 || height == 0)
        {
            throw Fail(ImageFileProblem.Corrupt, $"the JPEG frame declares {width}×{height} pixels (an empty image, or a height given later in a DNL marker, which ConvViz does not support).");
        }

        if (width > _options.MaxDimension || height > _options.MaxDimension || (long)width * height > _options.MaxPixels)
        {
            throw Fail(ImageFileProblem.TooManyPixels, $"the header declares {width}×{height} pixels, above the limits (at most {_options.MaxPixels:N0} pixels and {_options.MaxDimension:N0} per side; a possible decompression bomb). Raise ImageDecodingOptions.MaxPixels / MaxDimension only for trusted files.");
        }

        var components = new JpegComponent[count];
        for (var i = 0; i < count; i++)
        {
            var entry = segment.Slice(6 + (3 * i), 3);
            var h = entry[1] >> 4;
            var v = entry[1] & 15;
            if (h is < 1 or > 4 || v is < 1 or > 4 || entry[2] > 3)
            {
                throw Fail(ImageFileProblem.Corrupt, $"the JPEG component {i} has invalid sampling factors {h}×{v} or quantisation table {entry[2]}.");
            }

            components[i] = new JpegComponent { Id = entry[0], H = h, V = v, QuantIndex = entry[2] };
        }

        _maxH = components.Max(c => c.H);
        _maxV = components.Max(c => c.V);
        _mcusPerLine = DivideUp(width, 8 * _maxH);
        _mcuRows = DivideUp(height, 8 * _maxV);
        foreach (var c in components)
        {
            if (_maxH % c.H != 0 || _maxV % c.V != 0)
            {
                throw Fail(ImageFileProblem.FormatNotEnabled, $"the JPEG uses fractional chroma subsampling ({c.H}×{c.V} of {_maxH}×{_maxV}), which neither libjpeg nor ConvViz decodes.");
            }

            c.DownsampledWidth = DivideUp(width * c.H, _maxH);
            c.DownsampledHeight = DivideUp(height * c.V, _maxV);
            c.WidthInBlocks = DivideUp(c.DownsampledWidth, 8);
            c.HeightInBlocks = DivideUp(c.DownsampledHeight, 8);
            c.BlocksPerLine = _mcusPerLine * c.H;
            c.BlockRows = _mcuRows * c.V;
            if ((long)c.BlocksPerLine * c.BlockRows * 64 > Array.MaxLength)
            {
                throw Fail(ImageFileProblem.TooManyPixels, $"the JPEG frame {width}×{height} is too large to decode.");
            }
        }

        Width = width;
        Height = height;
        _progressive = progressive;
        _components = components;
    }

    private void ReadHuffmanTables(ReadOnlySpan<byte> segment)
    {
        while (segment.Length > 0)
        {
            if (segment.Length < 17)
            {
                throw Fail(ImageFileProblem.Corrupt, "the JPEG Huffman table (DHT) segment is too short.");
            }

            var kind = segment[0] >> 4;
            var index = segment[0] & 15;
            var counts = segment.Slice(1, 16);
            var total = 0;
            foreach (var n in counts)
            {
                total += n;
            }

            if (kind > 1 || index > 3 || total > 256 || segment.Length < 17 + total)
            {
                throw Fail(ImageFileProblem.Corrupt, "the JPEG Huffman table (DHT) is invalid (class, index or symbol count).");
            }

            var table = JpegHuffmanTable.Create(counts, segment.Slice(17, total), kind == 0)
                ?? throw Fail(ImageFileProblem.Corrupt, "the JPEG Huffman table (DHT) has more codes than its code lengths allow or an invalid DC symbol.");
            (kind == 0 ? _dcTables : _acTables)[index] = table;
            segment = segment[(17 + total)..];
        }
    }

    private void ReadQuantizationTables(ReadOnlySpan<byte> segment)
    {
        while (segment.Length > 0)
        {
            var precision = segment[0] >> 4;
            var index = segment[0] & 15;
            var size = precision == 0 ? 64 : 128;
            if (precision > 1 || index > 3 || segment.Length < 1 + size)
            {
                throw Fail(ImageFileProblem.Corrupt, "the JPEG quantisation table (DQT) is invalid (precision, index or length).");
            }

            var table = new ushort[64];
            for (var i = 0; i < 64; i++)
            {
                table[JpegTables.NaturalOrder[i]] = precision == 0 ? segment[1 + i] : BinaryPrimitives.ReadUInt16BigEndian(segment[(1 + (2 * i))..]);
            }

            _quantTables[index] = table;
            segment = segment[(1 + size)..];
        }
    }

    /// <summary>
    /// Decodes the scans from the first SOS to EOI (or the end of the data, which acts as EOI as Pillow appends one to
    /// a truncated file). The markers after the last scan are read and checked too: libjpeg reads them before it
    /// finishes, and Pillow refuses the file when they are invalid.
    /// </summary>
    private void DecodeScans(List<short[]> rented)
    {
        var firstScan = true;
        while (true)
        {
            var marker = NextMarker(ref _position);
            if (marker is < 0 or 0xD9)
            {
                return;
            }

            if (marker != 0xDA)
            {
                if (!firstScan && !_coefficientMode && IsCutSegment(marker))
                {
                    // The pixels are complete; libjpeg (in Pillow) stops waiting for the rest of a cut trailing marker.
                    return;
                }

                ReadSegment(marker, afterFirstScan: true);
                continue;
            }

            if (firstScan)
            {
                InstallStandardTables();
            }
            else if (!_coefficientMode)
            {
                throw Fail(ImageFileProblem.Corrupt, "the single-scan JPEG has a second scan where the end-of-image marker belongs (libjpeg, and so Pillow, stops there with an error).");
            }

            var scan = ReadScanHeader();
            if (firstScan)
            {
                firstScan = false;
                _coefficientMode = _progressive || scan.Components.Length != _components.Length;
                if (_coefficientMode)
                {
                    foreach (var c in _components)
                    {
                        var n = c.BlocksPerLine * c.BlockRows * 64;
                        c.Coefficients = ArrayPool<short>.Shared.Rent(n);
                        rented.Add(c.Coefficients);
                        Array.Clear(c.Coefficients, 0, n);
                    }
                }
            }

            var scanDecoder = new JpegScanDecoder(_data, _position, scan, this);
            _position = scanDecoder.Run();
        }
    }

    /// <summary>
    /// Whether the marker segment at <see cref="_position"/> is one libjpeg skips unread (APPn, COM, DNL) and its
    /// length runs past the end of the data (libjpeg then waits for more data, and Pillow keeps the finished pixels).
    /// </summary>
    private bool IsCutSegment(int marker) =>
        marker is (>= 0xE0 and <= 0xEF) or 0xFE or 0xDC &&
        (_position + 2 > _data.Length || _position + BinaryPrimitives.ReadUInt16BigEndian(_data.AsSpan(_position)) > _data.Length);

    /// <summary>libjpeg-turbo's fallback: Huffman table slots 0 and 1 still empty at the first scan get the T.81 annex K tables.</summary>
    private void InstallStandardTables()
    {
        _dcTables[0] ??= Standard(JpegStandardTables.DcLuminance, isDc: true);
        _dcTables[1] ??= Standard(JpegStandardTables.DcChrominance, isDc: true);
        _acTables[0] ??= Standard(JpegStandardTables.AcLuminance, isDc: false);
        _acTables[1] ??= Standard(JpegStandardTables.AcChrominance, isDc: false);

        static JpegHuffmanTable Standard(ReadOnlySpan<byte> table, bool isDc) =>
            JpegHuffmanTable.Create(table[..16], table[16..], isDc) ?? throw new InvalidOperationException("The standard Huffman table is invalid.");
    }

    private JpegScan ReadScanHeader()
    {
        if (_position + 2 > _data.Length)
        {
            throw Fail(ImageFileProblem.Truncated, "the JPEG data ends inside a scan header. Replace the file.");
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(_data.AsSpan(_position));
        if (_position + length > _data.Length || length < 3)
        {
            throw Fail(ImageFileProblem.Truncated, "the JPEG data ends inside a scan header. Replace the file.");
        }

        var segment = _data.AsSpan(_position + 2, length - 2);
        _position += length;
        var count = segment[0];
        if (count is < 1 or > 4 || segment.Length != 4 + (2 * count))
        {
            throw Fail(ImageFileProblem.Corrupt, "the JPEG scan header (SOS) has an invalid component count or length.");
        }

        var components = new JpegComponent[count];
        for (var i = 0; i < count; i++)
        {
            var id = segment[1 + (2 * i)];
            var tables = segment[2 + (2 * i)];
            var component = Array.Find(_components, c => c.Id == id);
            if (component is null || Array.IndexOf(components, component) >= 0)
            {
                throw Fail(ImageFileProblem.Corrupt, $"the JPEG scan names component {id}, which the frame does not declare (or names it twice).");
            }

            component.DcTableIndex = tables >> 4;
            component.AcTableIndex = tables & 15;
            if (component.DcTableIndex > 3 || component.AcTableIndex > 3)
            {
                throw Fail(ImageFileProblem.Corrupt, "the JPEG scan header (SOS) selects a Huffman table above 3.");
            }

            if (component.Quant is null)
            {
                // libjpeg latches a component's quantisation table when the component's first scan starts.
                var quant = _quantTables[component.QuantIndex]
                    ?? throw Fail(ImageFileProblem.Corrupt, $"the JPEG quantisation table {component.QuantIndex} is used before it is defined.");
                component.Quant = new int[64];
                for (var k = 0; k < 64; k++)
                {
                    // libjpeg-turbo keeps the steps as 16-bit signed multipliers.
                    component.Quant[k] = (short)quant[k];
                }
            }

            components[i] = component;
        }

        var ss = segment[1 + (2 * count)];
        var se = segment[2 + (2 * count)];
        var ah = segment[3 + (2 * count)] >> 4;
        var al = segment[3 + (2 * count)] & 15;
        var blocks = count == 1 ? 1 : components.Sum(c => c.H * c.V);
        if (blocks > MaxBlocksInMcu)
        {
            throw Fail(ImageFileProblem.Corrupt, $"the JPEG scan has {blocks} blocks per MCU, above the 10 that T.81 allows.");
        }

        if (_progressive)
        {
            var bad = ss == 0 ? se != 0 : ss > se || se > 63 || count != 1;
            bad |= ah != 0 && al != ah - 1;
            bad |= al > 13;
            if (bad)
            {
                throw Fail(ImageFileProblem.Corrupt, $"the progressive JPEG scan has invalid parameters (Ss {ss}, Se {se}, Ah {ah}, Al {al}).");
            }

            foreach (var c in components)
            {
                for (var k = ss; k <= se; k++)
                {
                    c.CoefficientBits[k] = al;
                }
            }
        }

        foreach (var c in components)
        {
            var needDc = !_progressive || (ss == 0 && ah == 0);
            var needAc = !_progressive || ss != 0;
            if ((needDc && _dcTables[c.DcTableIndex] is null) || (needAc && _acTables[c.AcTableIndex] is null))
            {
                throw Fail(ImageFileProblem.Corrupt, "the JPEG scan uses a Huffman table that is not defined.");
            }

            c.DcTable = _dcTables[c.DcTableIndex];
            c.AcTable = _acTables[c.AcTableIndex];
        }

        return new JpegScan(components, ss, se, ah, al, _progressive, _restartInterval, _mcusPerLine, _mcuRows);
    }

    /// <summary>Runs the IDCT over every stored coefficient block (progressive and multi-scan images).</summary>
    private void TransformCoefficients()
    {
        if (_progressive && WouldSmoothBlocks())
        {
            throw Fail(ImageFileProblem.Truncated, "the progressive JPEG is incomplete (truncated or missing scans): libjpeg then smooths the blocks, which ConvViz does not reproduce, so it refuses the file rather than decode it differently from Pillow. Replace the file.");
        }

        Span<int> workspace = stackalloc int[64];
        Span<short> natural = stackalloc short[64];
        foreach (var c in _components)
        {
            var quant = c.Quant ?? new int[64];
            var coefficients = c.Coefficients!;
            var plane = c.Plane!;
            var stride = c.BlocksPerLine * 8;
            for (var by = 0; by < c.BlockRows; by++)
            {
                for (var bx = 0; bx < c.BlocksPerLine; bx++)
                {
                    var block = coefficients.AsSpan(((by * c.BlocksPerLine) + bx) * 64, 64);
                    var offset = (by * 8 * stride) + (bx * 8);
                    if (_progressive)
                    {
                        // Progressive coefficients are kept in zig-zag order (JpegCoefficients).
                        var nonzero = JpegCoefficients.NonzeroMask(block);
                        if ((nonzero & ~1UL) == 0)
                        {
                            JpegIdct.TransformDcOnly(block, quant, plane, offset, stride);
                            continue;
                        }

                        JpegCoefficients.ZigZagToNatural(block, natural, nonzero);
                        if (JpegIdct.IsVectorized)
                        {
                            // Transform would test again for a DC-only block.
                            JpegIdct.TransformVector(natural, quant, plane, offset, stride);
                        }
                        else
                        {
                            JpegIdct.TransformScalar(natural, quant, workspace, plane, offset, stride);
                        }

                        continue;
                    }

                    JpegIdct.Transform(block, quant, workspace, plane, offset, stride);
                }
            }
        }
    }

    /// <summary>
    /// libjpeg's test whether it smooths progressive blocks: every component's DC is known, the low quantisation steps
    /// are nonzero, and some of the first nine AC coefficients are not yet fully refined.
    /// </summary>
    private bool WouldSmoothBlocks()
    {
        ReadOnlySpan<int> positions = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24];
        var useful = false;
        foreach (var c in _components)
        {
            if (c.Quant is null || c.CoefficientBits[0] < 0)
            {
                return false;
            }

            foreach (var p in positions)
            {
                if (c.Quant[p] == 0)
                {
                    return false;
                }
            }

            for (var k = 1; k < 10; k++)
            {
                useful |= c.CoefficientBits[k] != 0;
            }
        }

        return useful;
    }

    /// <summary>Chooses the colour transform as libjpeg guesses the JPEG colour space (JFIF and Adobe markers, component ids).</summary>
    private JpegColorTransform ColorTransform()
    {
        switch (_components.Length)
        {
            case 1:
                return JpegColorTransform.Grayscale;
            case 3:
                if (_sawJfif)
                {
                    return JpegColorTransform.YCbCr;
                }

                if (_sawAdobe)
                {
                    return _adobeTransform == 0 ? JpegColorTransform.Rgb : JpegColorTransform.YCbCr;
                }

                return _components[0].Id == 'R' && _components[1].Id == 'G' && _components[2].Id == 'B' ? JpegColorTransform.Rgb : JpegColorTransform.YCbCr;
            default:
                return _sawAdobe && _adobeTransform != 0 ? JpegColorTransform.Ycck : JpegColorTransform.Cmyk;
        }
    }

    private static int DivideUp(int a, int b) => (a + b - 1) / b;
}

/// <summary>How decoded components become pixels.</summary>
internal enum JpegColorTransform
{
    /// <summary>One component, output as is.</summary>
    Grayscale,

    /// <summary>YCbCr to RGB.</summary>
    YCbCr,

    /// <summary>Three components that already are R, G, B.</summary>
    Rgb,

    /// <summary>Four components, Adobe (inverted) CMYK, converted to RGB as Pillow's <c>convert("RGB")</c> does.</summary>
    Cmyk,

    /// <summary>Four components, YCCK (Adobe transform 2), to CMYK and then RGB.</summary>
    Ycck,
}

/// <summary>One component of a JPEG frame and its decoding state.</summary>
internal sealed class JpegComponent
{
    /// <summary>Gets or sets the component id from the frame header.</summary>
    public int Id { get; set; }

    /// <summary>Gets or sets the horizontal sampling factor.</summary>
    public int H { get; set; }

    /// <summary>Gets or sets the vertical sampling factor.</summary>
    public int V { get; set; }

    /// <summary>Gets or sets the quantisation table index.</summary>
    public int QuantIndex { get; set; }

    /// <summary>Gets or sets the latched quantisation steps (natural order), set at the component's first scan.</summary>
    public int[]? Quant { get; set; }

    /// <summary>Gets or sets the DC table index of the current scan.</summary>
    public int DcTableIndex { get; set; }

    /// <summary>Gets or sets the AC table index of the current scan.</summary>
    public int AcTableIndex { get; set; }

    /// <summary>Gets or sets the DC table of the current scan.</summary>
    public JpegHuffmanTable? DcTable { get; set; }

    /// <summary>Gets or sets the AC table of the current scan.</summary>
    public JpegHuffmanTable? AcTable { get; set; }

    /// <summary>Gets or sets the width in samples: ceil(image width × H / max H).</summary>
    public int DownsampledWidth { get; set; }

    /// <summary>Gets or sets the height in samples.</summary>
    public int DownsampledHeight { get; set; }

    /// <summary>Gets or sets the blocks per row that hold samples (a non-interleaved scan covers exactly these).</summary>
    public int WidthInBlocks { get; set; }

    /// <summary>Gets or sets the block rows that hold samples.</summary>
    public int HeightInBlocks { get; set; }

    /// <summary>Gets or sets the blocks per row including the MCU padding.</summary>
    public int BlocksPerLine { get; set; }

    /// <summary>Gets or sets the block rows including the MCU padding.</summary>
    public int BlockRows { get; set; }

    /// <summary>Gets or sets the decoded samples, <see cref="BlocksPerLine"/> × 8 per row (rented).</summary>
    public byte[]? Plane { get; set; }

    /// <summary>Gets or sets the coefficients of every block, in zig-zag order for a progressive image and in natural order for a multi-scan sequential one (rented).</summary>
    public short[]? Coefficients { get; set; }

    /// <summary>Gets the successive-approximation bit each coefficient has reached (-1: none yet), as libjpeg tracks it.</summary>
    public int[] CoefficientBits { get; } = [.. Enumerable.Repeat(-1, 64)];
}

/// <summary>The parameters of one scan.</summary>
internal sealed record JpegScan(JpegComponent[] Components, int Ss, int Se, int Ah, int Al, bool Progressive, int RestartInterval, int McusPerLine, int McuRows);

/// <summary>Zig-zag order.</summary>
internal static class JpegTables
{
    /// <summary>
    /// Gets the natural (row-major) index of each zig-zag position, with 16 extra entries of 63 so that a corrupt run
    /// length past the end of a block lands on the last coefficient, as in libjpeg.
    /// </summary>
    public static ReadOnlySpan<byte> NaturalOrder =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ];

    /// <summary>
    /// Gets the storage index of each zig-zag position when the coefficients are kept in zig-zag order (progressive
    /// images): the position itself, and 63 for the 16 extra entries, the place <see cref="NaturalOrder"/> gives them.
    /// </summary>
    public static ReadOnlySpan<byte> ZigZagOrder =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
        48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ];
}
