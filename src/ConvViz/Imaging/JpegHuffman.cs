// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvViz.Imaging;

/// <summary>
/// One decoding Huffman table of a JPEG file (ITU T.81 annex C, F.2.2.3): canonical codes from the 16 length counts,
/// a 9-bit lookahead table for the short codes and the per-length maximum codes for the rest.
/// </summary>
internal sealed class JpegHuffmanTable
{
    /// <summary>The number of bits looked up at once.</summary>
    public const int LookaheadBits = 9;

    /// <summary>The <see cref="FastAc"/> of a DC table: no entries (DC symbols are never decoded through it).</summary>
    private static readonly int[] s_noFastAc = new int[1 << LookaheadBits];

    private int[]? _fastAc;

    private JpegHuffmanTable(ushort[] lookup, int[]? fastAc, int[] maxCode, int[] valueOffset, byte[] values)
    {
        Lookup = lookup;
        _fastAc = fastAc;
        MaxCode = maxCode;
        ValueOffset = valueOffset;
        Values = values;
    }

    /// <summary>Gets the lookahead table: (code length &lt;&lt; 8) | symbol, or 0 when the code is longer than <see cref="LookaheadBits"/>.</summary>
    public ushort[] Lookup { get; }

    /// <summary>
    /// Gets, for an AC table, the lookahead entries whose code and extra bits both fit in <see cref="LookaheadBits"/>:
    /// (coefficient value &lt;&lt; 16) | (zero run &lt;&lt; 8) | bits used, or 0 where the symbol is read the long way
    /// (all 0 for a DC table). Built at the first use (refinement scans, which have their own tables, never use it).
    /// </summary>
    public int[] FastAc => _fastAc ??= BuildFastAc(Lookup);

    /// <summary>Gets the largest code of each length 1–16 (-1 when there is none); entry 17 is a sentinel above every code.</summary>
    public int[] MaxCode { get; }

    /// <summary>Gets, per length, the offset from a code to the index of its symbol.</summary>
    public int[] ValueOffset { get; }

    /// <summary>Gets the symbols in code order (256 entries, unused ones zero).</summary>
    public byte[] Values { get; }

    /// <summary>Builds a table from a DHT segment's counts and symbols.</summary>
    /// <param name="counts">The number of codes of each length 1–16.</param>
    /// <param name="symbols">The symbols, as many as the counts add up to (at most 256).</param>
    /// <param name="isDc">Whether this is a DC table (symbols above 15 are then invalid).</param>
    /// <returns>The table, or <see langword="null"/> when the counts describe more codes than fit their lengths or a DC symbol is out of range.</returns>
    public static JpegHuffmanTable? Create(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols, bool isDc)
    {
        var values = new byte[256];
        symbols.CopyTo(values);
        if (isDc)
        {
            foreach (var s in symbols)
            {
                if (s > 15)
                {
                    return null;
                }
            }
        }

        Span<int> codes = stackalloc int[257];
        Span<byte> sizes = stackalloc byte[257];
        var p = 0;
        for (var length = 1; length <= 16; length++)
        {
            for (var i = 0; i < counts[length - 1]; i++)
            {
                sizes[p++] = (byte)length;
            }
        }

        sizes[p] = 0;
        var code = 0;
        int size = sizes[0];
        p = 0;
        while (sizes[p] != 0)
        {
            while (sizes[p] == size)
            {
                codes[p++] = code++;
            }

            if (code >= 1 << size)
            {
                return null; // more codes than the length allows
            }

            code <<= 1;
            size++;
        }

        var maxCode = new int[18];
        var valueOffset = new int[18];
        p = 0;
        for (var length = 1; length <= 16; length++)
        {
            var n = counts[length - 1];
            if (n != 0)
            {
                valueOffset[length] = p - codes[p];
                p += n;
                maxCode[length] = codes[p - 1];
            }
            else
            {
                maxCode[length] = -1;
            }
        }

        maxCode[17] = 0xFFFFF;
        var lookup = new ushort[1 << LookaheadBits];
        p = 0;
        for (var length = 1; length <= LookaheadBits; length++)
        {
            for (var i = 0; i < counts[length - 1]; i++, p++)
            {
                var first = codes[p] << (LookaheadBits - length);
                var entry = (ushort)((length << 8) | values[p]);
                lookup.AsSpan(first, 1 << (LookaheadBits - length)).Fill(entry);
            }
        }

        return new JpegHuffmanTable(lookup, isDc ? s_noFastAc : null, maxCode, valueOffset, values);
    }

    /// <summary>
    /// The <see cref="FastAc"/> entries, code by code: a code of length L for (run, size) with L + size within the
    /// lookahead covers the 2^(9 − L) lookahead entries that start with it, and each of them starts with its extra bits
    /// too. (The same entries as testing every lookahead entry, with less work: progressive files define a table per
    /// scan.)
    /// </summary>
    private static int[] BuildFastAc(ushort[] lookup)
    {
        var fastAc = new int[1 << LookaheadBits];
        var look = 0;
        while (look < fastAc.Length)
        {
            int entry = lookup[look];
            if (entry == 0)
            {
                look++; // the prefix of a longer code
                continue;
            }

            var length = entry >> 8;
            var covered = 1 << (LookaheadBits - length);
            var extraBits = entry & 15;
            var spare = LookaheadBits - length - extraBits;
            if (extraBits != 0 && spare >= 0)
            {
                var head = (((entry >> 4) & 15) << 8) | (length + extraBits);
                for (var i = 0; i < covered; i++)
                {
                    fastAc[look + i] = (Extend((i >> spare) & ((1 << extraBits) - 1), extraBits) << 16) | head;
                }
            }

            look += covered;
        }

        return fastAc;
    }

    /// <summary>
    /// The <see cref="FastAc"/> definition entry by entry (the reference for <see cref="BuildFastAc"/>): every lookahead
    /// entry whose code and extra bits both fit.
    /// </summary>
    /// <param name="table">An AC table.</param>
    /// <returns>The entries.</returns>
    internal static int[] FastAcReference(JpegHuffmanTable table)
    {
        var fastAc = new int[1 << LookaheadBits];
        for (var look = 0; look < fastAc.Length; look++)
        {
            int entry = table.Lookup[look];
            var codeLength = entry >> 8;
            var run = (entry >> 4) & 15;
            var extraBits = entry & 15;
            if (entry != 0 && extraBits != 0 && codeLength + extraBits <= LookaheadBits)
            {
                var extra = (look >> (LookaheadBits - codeLength - extraBits)) & ((1 << extraBits) - 1);
                fastAc[look] = (Extend(extra, extraBits) << 16) | (run << 8) | (codeLength + extraBits);
            }
        }

        return fastAc;
    }

    /// <summary>T.81's EXTEND: the signed value of <paramref name="bits"/> extra bits.</summary>
    /// <param name="value">The extra bits.</param>
    /// <param name="bits">Their number (1–15).</param>
    /// <returns>The coefficient value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Extend(int value, int bits) => value + (((value - (1 << (bits - 1))) >> 31) & ((-1 << bits) + 1));
}

/// <summary>
/// Reads the entropy-coded bits of a JPEG scan (stuffed 0xFF 0x00 bytes, fill bytes, markers). At a marker or the end
/// of the data it supplies zero bits, as libjpeg does, and records in <see cref="Insufficient"/> that the data ran out
/// (the decoder then leaves the remaining blocks of the segment zero, libjpeg's uniform grey).
/// </summary>
internal sealed class JpegBitReader
{
    private readonly byte[] _data;
    private ulong _buffer;
    private int _bits;
    private int _position;

    /// <summary>Creates a reader positioned at <paramref name="position"/>.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="position">The first entropy-coded byte.</param>
    public JpegBitReader(byte[] data, int position)
    {
        _data = data;
        _position = position;
    }

    /// <summary>Gets a value indicating whether the reader stopped at a marker (or the end of the data, a virtual EOI).</summary>
    public bool AtMarker { get; private set; }

    /// <summary>Gets the position of the marker's 0xFF byte (or the data length) when <see cref="AtMarker"/> is set.</summary>
    public int MarkerPosition { get; private set; }

    /// <summary>Gets or sets a value indicating whether bits beyond the segment's data were needed (libjpeg's <c>insufficient_data</c>).</summary>
    public bool Insufficient { get; set; }

    /// <summary>Gets the position of the next byte not yet loaded into the bit buffer.</summary>
    public int Position => AtMarker ? MarkerPosition : _position;

    /// <summary>Discards the buffered bits (at a restart marker or the end of a scan).</summary>
    public void DiscardBits() => _bits = 0;

    /// <summary>Continues reading after a marker that was consumed or skipped.</summary>
    /// <param name="position">The next byte.</param>
    public void ResumeAt(int position)
    {
        _position = position;
        AtMarker = false;
        _bits = 0;
    }

    /// <summary>Stops at a marker that is left unread (libjpeg's resynchronisation leaves it for later).</summary>
    /// <param name="position">The marker's 0xFF byte, or the data length.</param>
    public void StopAt(int position)
    {
        AtMarker = true;
        MarkerPosition = position;
        _bits = 0;
    }

    /// <summary>Reads <paramref name="count"/> bits (0–16) as an unsigned number.</summary>
    /// <param name="count">The number of bits.</param>
    /// <returns>The bits.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetBits(int count)
    {
        if (_bits < count)
        {
            Fill(count);
        }

        _bits -= count;
        return (int)(_buffer >> _bits) & ((1 << count) - 1);
    }

    /// <summary>Reads one bit.</summary>
    /// <returns>0 or 1.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetBit()
    {
        if (_bits < 1)
        {
            Fill(1);
        }

        _bits--;
        return (int)(_buffer >> _bits) & 1;
    }

    /// <summary>Decodes one Huffman symbol; an invalid code yields 0 after 17 bits (libjpeg's "bad Huffman code" recovery).</summary>
    /// <param name="table">The table.</param>
    /// <returns>The symbol.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Decode(JpegHuffmanTable table)
    {
        if (_bits < 16)
        {
            Fill(0);
        }

        if (_bits >= JpegHuffmanTable.LookaheadBits)
        {
            var look = (int)(_buffer >> (_bits - JpegHuffmanTable.LookaheadBits)) & ((1 << JpegHuffmanTable.LookaheadBits) - 1);
            int entry = table.Lookup[look];
            if (entry != 0)
            {
                _bits -= entry >> 8;
                return entry & 0xFF;
            }
        }

        return DecodeSlow(table);
    }

    /// <summary>
    /// Decodes one sequential block (T.81 F.2.2): the DC difference added to <paramref name="predictor"/> and the AC
    /// coefficients in zig-zag order, into <paramref name="block"/> (natural order, zero on entry). The bit buffer is
    /// held in locals; while at least 32 bits are buffered (a code and its extra bits take at most 17 + 15) it decodes
    /// without further checks, and near a marker or the end of the data it takes <see cref="Decode"/> and
    /// <see cref="GetBits"/>, whose zero padding is only used, and recorded, when really needed.
    /// </summary>
    /// <param name="dcTable">The DC table.</param>
    /// <param name="acTable">The AC table.</param>
    /// <param name="block">64 coefficients, zero on entry.</param>
    /// <param name="predictor">The component's DC predictor.</param>
    public void DecodeSequentialBlock(JpegHuffmanTable dcTable, JpegHuffmanTable acTable, Span<short> block, ref int predictor)
    {
        if (block.Length < 64)
        {
            throw new ArgumentException("A block has 64 coefficients.", nameof(block));
        }

        ref var coefficients = ref MemoryMarshal.GetReference(block);
        ref var order = ref MemoryMarshal.GetReference(JpegTables.NaturalOrder);
        ref var dcLookup = ref MemoryMarshal.GetArrayDataReference(dcTable.Lookup);
        ref var acLookup = ref MemoryMarshal.GetArrayDataReference(acTable.Lookup);
        ref var fastAc = ref MemoryMarshal.GetArrayDataReference(acTable.FastAc);
        const int mask = (1 << JpegHuffmanTable.LookaheadBits) - 1;
        var buffer = _buffer;
        var bits = _bits;
        int s;
        if (bits < 32)
        {
            _bits = bits;
            Fill(0);
            buffer = _buffer;
            bits = _bits;
        }

        if (bits >= 32)
        {
            int entry = Unsafe.Add(ref dcLookup, (int)(buffer >> (bits - JpegHuffmanTable.LookaheadBits)) & mask);
            if (entry != 0)
            {
                bits -= entry >> 8;
                s = entry & 0xFF;
            }
            else
            {
                _bits = bits;
                s = DecodeSlow(dcTable);
                bits = _bits;
            }

            if (s != 0)
            {
                bits -= s;
                s = Extend((int)(buffer >> bits) & ((1 << s) - 1), s);
            }
        }
        else
        {
            _bits = bits;
            s = Decode(dcTable);
            if (s != 0)
            {
                s = Extend(GetBits(s), s);
            }

            buffer = _buffer;
            bits = _bits;
        }

        predictor += s;
        coefficients = (short)predictor;
        for (var k = 1; k < 64; k++)
        {
            if (bits < 32)
            {
                _bits = bits;
                Fill(0);
                buffer = _buffer;
                bits = _bits;
                if (bits < 32)
                {
                    // Near a marker or the end of the data.
                    s = Decode(acTable);
                    var run = s >> 4;
                    s &= 15;
                    if (s != 0)
                    {
                        k += run;
                        Unsafe.Add(ref coefficients, Unsafe.Add(ref order, k)) = (short)Extend(GetBits(s), s);
                    }
                    else if (run == 15)
                    {
                        k += 15;
                    }
                    else
                    {
                        return;
                    }

                    buffer = _buffer;
                    bits = _bits;
                    continue;
                }
            }

            var look = (int)(buffer >> (bits - JpegHuffmanTable.LookaheadBits)) & mask;
            var fast = Unsafe.Add(ref fastAc, look);
            if (fast != 0)
            {
                // A short code with its extra bits: the coefficient comes straight from the table.
                bits -= fast & 0xFF;
                k += (fast >> 8) & 0xFF;
                Unsafe.Add(ref coefficients, Unsafe.Add(ref order, k)) = (short)(fast >> 16);
                continue;
            }

            int symbol = Unsafe.Add(ref acLookup, look);
            if (symbol != 0)
            {
                bits -= symbol >> 8;
                symbol &= 0xFF;
            }
            else
            {
                _bits = bits;
                symbol = DecodeSlow(acTable);
                bits = _bits;
            }

            var r = symbol >> 4;
            s = symbol & 15;
            if (s != 0)
            {
                // k + r stays below 79; the order table maps 64–79 to 63, as libjpeg's does.
                k += r;
                bits -= s;
                Unsafe.Add(ref coefficients, Unsafe.Add(ref order, k)) = (short)Extend((int)(buffer >> bits) & ((1 << s) - 1), s);
            }
            else if (r == 15)
            {
                k += 15;
            }
            else
            {
                break;
            }
        }

        _bits = bits;
    }

    /// <summary>
    /// Decodes the AC coefficients <paramref name="ss"/>–<paramref name="se"/> of a block in a progressive first scan
    /// (T.81 G.1.2.2) into <paramref name="block"/>, scaled by 2^<paramref name="al"/>, with the bit buffer in locals as
    /// in <see cref="DecodeSequentialBlock"/>.
    /// </summary>
    /// <param name="table">The AC table.</param>
    /// <param name="block">64 coefficients in natural order.</param>
    /// <param name="ss">The first coefficient.</param>
    /// <param name="se">The last coefficient.</param>
    /// <param name="al">The point transform.</param>
    /// <returns>The end-of-band run that follows this block (0 when the block ended otherwise).</returns>
    public int DecodeAcFirstBlock(JpegHuffmanTable table, Span<short> block, int ss, int se, int al) =>
        DecodeAcFirstBlock(table, block, ss, se, al, zigZagStorage: false);

    /// <summary>
    /// <see cref="DecodeAcFirstBlock(JpegHuffmanTable, Span{short}, int, int, int)"/> with the storage order of the
    /// block: natural order or zig-zag order (progressive images, <see cref="JpegCoefficients"/>).
    /// </summary>
    /// <param name="table">The AC table.</param>
    /// <param name="block">64 coefficients in the storage order.</param>
    /// <param name="ss">The first coefficient.</param>
    /// <param name="se">The last coefficient.</param>
    /// <param name="al">The point transform.</param>
    /// <param name="zigZagStorage">Whether <paramref name="block"/> is in zig-zag order (<see cref="JpegTables.ZigZagOrder"/>) rather than natural order.</param>
    /// <returns>The end-of-band run that follows this block (0 when the block ended otherwise).</returns>
    public int DecodeAcFirstBlock(JpegHuffmanTable table, Span<short> block, int ss, int se, int al, bool zigZagStorage)
    {
        if (block.Length < 64 || se > 63)
        {
            throw new ArgumentException("A block has 64 coefficients.", nameof(block));
        }

        ref var coefficients = ref MemoryMarshal.GetReference(block);
        ref var order = ref MemoryMarshal.GetReference(zigZagStorage ? JpegTables.ZigZagOrder : JpegTables.NaturalOrder);
        ref var lookup = ref MemoryMarshal.GetArrayDataReference(table.Lookup);
        ref var fastAc = ref MemoryMarshal.GetArrayDataReference(table.FastAc);
        const int mask = (1 << JpegHuffmanTable.LookaheadBits) - 1;
        var buffer = _buffer;
        var bits = _bits;
        for (var k = ss; k <= se; k++)
        {
            int symbol;
            var fast = true;
            if (bits < 32)
            {
                _bits = bits;
                Fill(0);
                buffer = _buffer;
                bits = _bits;
                fast = bits >= 32;
            }

            if (fast)
            {
                var look = (int)(buffer >> (bits - JpegHuffmanTable.LookaheadBits)) & mask;
                var combined = Unsafe.Add(ref fastAc, look);
                if (combined != 0)
                {
                    // A short code with its extra bits: the coefficient comes straight from the table.
                    bits -= combined & 0xFF;
                    k += (combined >> 8) & 0xFF;
                    Unsafe.Add(ref coefficients, Unsafe.Add(ref order, k)) = (short)((combined >> 16) << al);
                    continue;
                }

                symbol = Unsafe.Add(ref lookup, look);
                if (symbol != 0)
                {
                    bits -= symbol >> 8;
                    symbol &= 0xFF;
                }
                else
                {
                    _bits = bits;
                    symbol = DecodeSlow(table);
                    bits = _bits;
                }
            }
            else
            {
                // Near a marker or the end of the data: the careful path for this symbol and its extra bits.
                symbol = Decode(table);
                buffer = _buffer;
                bits = _bits;
            }

            var r = symbol >> 4;
            var s = symbol & 15;
            if (s != 0)
            {
                k += r;
                int value;
                if (fast)
                {
                    bits -= s;
                    value = (int)(buffer >> bits) & ((1 << s) - 1);
                }
                else
                {
                    value = GetBits(s);
                    buffer = _buffer;
                    bits = _bits;
                }

                Unsafe.Add(ref coefficients, Unsafe.Add(ref order, k)) = (short)(Extend(value, s) << al);
            }
            else if (r == 15)
            {
                k += 15;
            }
            else
            {
                var run = 1 << r;
                if (r != 0)
                {
                    if (fast)
                    {
                        bits -= r;
                        run += (int)(buffer >> bits) & ((1 << r) - 1);
                    }
                    else
                    {
                        run += GetBits(r);
                        buffer = _buffer;
                        bits = _bits;
                    }
                }

                _bits = bits;
                return run - 1;
            }
        }

        _bits = bits;
        return 0;
    }

    /// <summary>
    /// Decodes a block of a progressive AC refinement scan (T.81 G.1.2.3): new coefficients of ±2^<paramref name="al"/>
    /// and a correction bit for each coefficient already nonzero, as libjpeg's decode_mcu_AC_refine. The bit buffer is
    /// held in locals; every read is the one of <see cref="Decode"/>, <see cref="GetBit"/> or <see cref="GetBits"/>,
    /// with the same refill and padding points.
    /// </summary>
    /// <param name="table">The AC table.</param>
    /// <param name="block">64 coefficients in natural order.</param>
    /// <param name="ss">The first coefficient.</param>
    /// <param name="se">The last coefficient.</param>
    /// <param name="al">The bit position refined.</param>
    /// <param name="eobRun">The end-of-band run, carried from block to block.</param>
    public void DecodeAcRefineBlock(JpegHuffmanTable table, Span<short> block, int ss, int se, int al, ref int eobRun) =>
        DecodeAcRefineBlock(table, block, ss, se, al, ref eobRun, zigZagStorage: false);

    /// <summary>
    /// <see cref="DecodeAcRefineBlock(JpegHuffmanTable, Span{short}, int, int, int, ref int)"/> with the storage order
    /// of the block (coefficient by coefficient, libjpeg's loop: the reference for <see cref="DecodeAcRefineBlockZigZag"/>).
    /// </summary>
    /// <param name="table">The AC table.</param>
    /// <param name="block">64 coefficients in the storage order.</param>
    /// <param name="ss">The first coefficient.</param>
    /// <param name="se">The last coefficient.</param>
    /// <param name="al">The bit position refined.</param>
    /// <param name="eobRun">The end-of-band run, carried from block to block.</param>
    /// <param name="zigZagStorage">Whether <paramref name="block"/> is in zig-zag order rather than natural order.</param>
    public void DecodeAcRefineBlock(JpegHuffmanTable table, Span<short> block, int ss, int se, int al, ref int eobRun, bool zigZagStorage)
    {
        if (block.Length < 64 || se > 63 || ss < 0)
        {
            throw new ArgumentException("A block has 64 coefficients.", nameof(block));
        }

        ref var coefficients = ref MemoryMarshal.GetReference(block);
        ref var order = ref MemoryMarshal.GetReference(zigZagStorage ? JpegTables.ZigZagOrder : JpegTables.NaturalOrder);
        ref var lookup = ref MemoryMarshal.GetArrayDataReference(table.Lookup);
        const int mask = (1 << JpegHuffmanTable.LookaheadBits) - 1;
        var buffer = _buffer;
        var bits = _bits;
        var p1 = 1 << al;
        var m1 = -1 << al;
        var k = ss;
        if (eobRun == 0)
        {
            for (; k <= se; k++)
            {
                // Decode(table).
                if (bits < 16)
                {
                    _bits = bits;
                    Fill(0);
                    buffer = _buffer;
                    bits = _bits;
                }

                int symbol;
                int entry = bits >= JpegHuffmanTable.LookaheadBits ? Unsafe.Add(ref lookup, (int)(buffer >> (bits - JpegHuffmanTable.LookaheadBits)) & mask) : 0;
                if (entry != 0)
                {
                    bits -= entry >> 8;
                    symbol = entry & 0xFF;
                }
                else
                {
                    _bits = bits;
                    symbol = DecodeSlow(table);
                    buffer = _buffer;
                    bits = _bits;
                }

                var r = symbol >> 4;
                var s = symbol & 15;
                if (s != 0)
                {
                    s = ReadBit(ref buffer, ref bits) != 0 ? p1 : m1;
                }
                else if (r != 15)
                {
                    eobRun = 1 << r;
                    if (r != 0)
                    {
                        // GetBits(r).
                        if (bits < r)
                        {
                            _bits = bits;
                            Fill(r);
                            buffer = _buffer;
                            bits = _bits;
                        }

                        bits -= r;
                        eobRun += (int)(buffer >> bits) & ((1 << r) - 1);
                    }

                    break;
                }

                // Pass over already-nonzero coefficients (refining each) and r zero ones.
                do
                {
                    ref var coefficient = ref Unsafe.Add(ref coefficients, Unsafe.Add(ref order, k));
                    if (coefficient != 0)
                    {
                        if (ReadBit(ref buffer, ref bits) != 0 && (coefficient & p1) == 0)
                        {
                            coefficient = (short)(coefficient >= 0 ? coefficient + p1 : coefficient + m1);
                        }
                    }
                    else if (--r < 0)
                    {
                        break;
                    }

                    k++;
                }
                while (k <= se);

                if (s != 0)
                {
                    Unsafe.Add(ref coefficients, Unsafe.Add(ref order, k)) = (short)s;
                }
            }
        }

        if (eobRun > 0)
        {
            for (; k <= se; k++)
            {
                ref var coefficient = ref Unsafe.Add(ref coefficients, Unsafe.Add(ref order, k));
                if (coefficient != 0 && ReadBit(ref buffer, ref bits) != 0 && (coefficient & p1) == 0)
                {
                    coefficient = (short)(coefficient >= 0 ? coefficient + p1 : coefficient + m1);
                }
            }

            eobRun--;
        }

        _bits = bits;
    }

    /// <summary>
    /// Decodes a block of a progressive AC refinement scan, kept in zig-zag order, as
    /// <see cref="DecodeAcRefineBlock(JpegHuffmanTable, Span{short}, int, int, int, ref int, bool)"/>
    /// does, but without visiting the coefficients one by one: a 64-bit mask of the nonzero coefficients gives, for
    /// each symbol, the zero coefficient where its run ends and the nonzero ones before it, which each take one
    /// correction bit (read in the same order, with the same refill and padding points). A block inside an
    /// end-of-band run only reads the correction bits of its nonzero coefficients.
    /// </summary>
    /// <param name="table">The AC table.</param>
    /// <param name="block">64 coefficients in zig-zag order.</param>
    /// <param name="ss">The first coefficient.</param>
    /// <param name="se">The last coefficient.</param>
    /// <param name="al">The bit position refined.</param>
    /// <param name="eobRun">The end-of-band run, carried from block to block.</param>
    public void DecodeAcRefineBlockZigZag(JpegHuffmanTable table, Span<short> block, int ss, int se, int al, ref int eobRun)
    {
        if (block.Length < 64 || se > 63 || ss < 0)
        {
            throw new ArgumentException("A block has 64 coefficients.", nameof(block));
        }

        ref var coefficients = ref MemoryMarshal.GetReference(block);
        ref var lookup = ref MemoryMarshal.GetArrayDataReference(table.Lookup);
        const int mask = (1 << JpegHuffmanTable.LookaheadBits) - 1;
        var buffer = _buffer;
        var bits = _bits;
        var p1 = 1 << al;
        var m1 = -1 << al;
        var nonzero = JpegCoefficients.NonzeroMask(block);
        var k = ss;
        if (eobRun == 0)
        {
            for (; k <= se; k++)
            {
                // Decode(table), as in the reference.
                if (bits < 16)
                {
                    _bits = bits;
                    Fill(0);
                    buffer = _buffer;
                    bits = _bits;
                }

                int symbol;
                int entry = bits >= JpegHuffmanTable.LookaheadBits ? Unsafe.Add(ref lookup, (int)(buffer >> (bits - JpegHuffmanTable.LookaheadBits)) & mask) : 0;
                if (entry != 0)
                {
                    bits -= entry >> 8;
                    symbol = entry & 0xFF;
                }
                else
                {
                    _bits = bits;
                    symbol = DecodeSlow(table);
                    buffer = _buffer;
                    bits = _bits;
                }

                var r = symbol >> 4;
                var s = symbol & 15;
                if (s != 0)
                {
                    s = ReadBit(ref buffer, ref bits) != 0 ? p1 : m1;
                }
                else if (r != 15)
                {
                    eobRun = 1 << r;
                    if (r != 0)
                    {
                        if (bits < r)
                        {
                            _bits = bits;
                            Fill(r);
                            buffer = _buffer;
                            bits = _bits;
                        }

                        bits -= r;
                        eobRun += (int)(buffer >> bits) & ((1 << r) - 1);
                    }

                    break;
                }

                // The run ends at the (r + 1)-th zero coefficient from k on; past the band it ends at se + 1.
                var zeros = ~nonzero & Band(k, se);
                for (; r > 0 && zeros != 0; r--)
                {
                    zeros &= zeros - 1;
                }

                var end = zeros != 0 ? BitOperations.TrailingZeroCount(zeros) : se + 1;
                RefineNonzero(ref coefficients, nonzero & Band(k, end - 1), p1, ref buffer, ref bits);
                k = end;
                if (s != 0)
                {
                    // Past the band of coefficient 63, libjpeg's order table puts it on 63.
                    var position = Math.Min(k, 63);
                    Unsafe.Add(ref coefficients, position) = (short)s;
                    nonzero |= 1UL << position;
                }
            }
        }

        if (eobRun > 0)
        {
            RefineNonzero(ref coefficients, nonzero & Band(k, se), p1, ref buffer, ref bits);
            eobRun--;
        }

        _bits = bits;
    }

    /// <summary>
    /// Decodes one DC difference (the Huffman-coded size and its extra bits, extended to a signed value), with the bit
    /// buffer in locals while at least 32 bits are buffered and the careful reads of <see cref="Decode"/> and
    /// <see cref="GetBits"/> near a marker or the end of the data.
    /// </summary>
    /// <param name="table">The DC table (symbols 0–15).</param>
    /// <returns>The difference.</returns>
    public int DecodeDcDifference(JpegHuffmanTable table)
    {
        var bits = _bits;
        if (bits < 32)
        {
            Fill(0);
            bits = _bits;
        }

        if (bits >= 32)
        {
            var buffer = _buffer;
            int s;
            int entry = table.Lookup[(int)(buffer >> (bits - JpegHuffmanTable.LookaheadBits)) & ((1 << JpegHuffmanTable.LookaheadBits) - 1)];
            if (entry != 0)
            {
                bits -= entry >> 8;
                s = entry & 0xFF;
            }
            else
            {
                _bits = bits;
                s = DecodeSlow(table);
                bits = _bits;
            }

            // A DC symbol is at most 15 (checked when the table is built): code and extra bits fit in the 32 bits.
            s &= 15;
            if (s != 0)
            {
                bits -= s;
                s = Extend((int)(buffer >> bits) & ((1 << s) - 1), s);
            }

            _bits = bits;
            return s;
        }

        var size = Decode(table);
        return size == 0 ? 0 : Extend(GetBits(size), size);
    }

    /// <summary>Bits <paramref name="first"/>–<paramref name="last"/> (0 when <paramref name="first"/> is above <paramref name="last"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Band(int first, int last) => first > last ? 0 : (ulong.MaxValue >> (63 - last)) & (ulong.MaxValue << first);

    /// <summary>Reads one correction bit for each coefficient of <paramref name="set"/>, in zig-zag order, and applies it as libjpeg does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RefineNonzero(ref short coefficients, ulong set, int p1, ref ulong buffer, ref int bits)
    {
        if (set == 0)
        {
            return;
        }

        var count = BitOperations.PopCount(set);
        if (count <= bits)
        {
            // All the bits are buffered: take them at once, first bit at the top, and apply them without branches.
            var word = buffer << (64 - bits);
            bits -= count;
            do
            {
                ref var coefficient = ref Unsafe.Add(ref coefficients, BitOperations.TrailingZeroCount(set));
                set &= set - 1;
                coefficient = Refine(coefficient, (int)(word >> 63), p1);
                word <<= 1;
            }
            while (set != 0);
            return;
        }

        do
        {
            ref var coefficient = ref Unsafe.Add(ref coefficients, BitOperations.TrailingZeroCount(set));
            set &= set - 1;
            coefficient = Refine(coefficient, ReadBit(ref buffer, ref bits), p1);
        }
        while (set != 0);
    }

    /// <summary>
    /// libjpeg's correction of a nonzero coefficient: when the bit is 1 and bit al (<paramref name="p1"/>) is still
    /// 0, the magnitude grows by 2^al (p1 when positive, m1 = −p1 when negative); computed without branches.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static short Refine(int coefficient, int bit, int p1)
    {
        var apply = -(bit & ((coefficient & p1) == 0 ? 1 : 0));
        var sign = coefficient >> 31;
        var step = (p1 ^ sign) - sign; // p1, or −p1 = m1 for a negative coefficient
        return (short)(coefficient + (step & apply));
    }

    /// <summary><see cref="GetBit"/> on the buffer held in locals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ReadBit(ref ulong buffer, ref int bits)
    {
        if (bits < 1)
        {
            _bits = bits;
            Fill(1);
            buffer = _buffer;
            bits = _bits;
        }

        bits--;
        return (int)(buffer >> bits) & 1;
    }

    /// <summary>T.81's EXTEND without a branch (the sign of a coefficient is unpredictable): values below half the range are negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Extend(int value, int bits) => JpegHuffmanTable.Extend(value, bits);

    /// <summary>Codes longer than the lookahead, and decoding near a marker (bit by bit, so zero padding is only used, and recorded, when really needed).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int DecodeSlow(JpegHuffmanTable table)
    {
        int code;
        int length;
        if (_bits >= JpegHuffmanTable.LookaheadBits)
        {
            code = (int)(_buffer >> (_bits - JpegHuffmanTable.LookaheadBits)) & ((1 << JpegHuffmanTable.LookaheadBits) - 1);
            length = JpegHuffmanTable.LookaheadBits;
            _bits -= JpegHuffmanTable.LookaheadBits;
        }
        else
        {
            code = GetBit();
            length = 1;
        }

        var maxCode = table.MaxCode;
        while (code > maxCode[length])
        {
            code = (code << 1) | GetBit();
            length++;
        }

        return length > 16 ? 0 : table.Values[(code + table.ValueOffset[length]) & 0xFF];
    }

    /// <summary>Loads bytes until more than 56 bits are buffered or a marker is reached; pads with zeros when fewer than <paramref name="needed"/> bits remain.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fill(int needed)
    {
        var data = _data;
        var bytes = (64 - _bits) >> 3;
        if (bytes > 0 && !AtMarker && _position <= data.Length - 8)
        {
            // Eight bytes without 0xFF (no stuffing, no marker) load at once.
            var word = BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(_position, 8));
            var inverted = ~word;
            if (((inverted - 0x0101010101010101UL) & ~inverted & 0x8080808080808080UL) == 0)
            {
                _buffer = bytes == 8 ? word : (_buffer << (8 * bytes)) | (word >> (64 - (8 * bytes)));
                _bits += 8 * bytes;
                _position += bytes;
                return;
            }
        }

        while (_bits <= 56 && !AtMarker)
        {
            var position = _position;
            if (position >= data.Length)
            {
                AtMarker = true;
                MarkerPosition = data.Length;
                break;
            }

            int c = data[position];
            if (c == 0xFF)
            {
                var next = position + 1;
                while (next < data.Length && data[next] == 0xFF)
                {
                    next++;
                }

                if (next < data.Length && data[next] == 0)
                {
                    _position = next + 1;
                }
                else
                {
                    AtMarker = true;
                    MarkerPosition = position;
                    break;
                }
            }
            else
            {
                _position = position + 1;
            }

            _buffer = (_buffer << 8) | (uint)c;
            _bits += 8;
        }

        if (_bits < needed)
        {
            Insufficient = true;
            _buffer <<= 56 - _bits;
            _bits = 56;
        }
    }
}
