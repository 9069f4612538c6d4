// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;

namespace ConvViz.Imaging;

/// <summary>
/// Structural completeness checks for JPEG and PNG files, so truncated files are rejected like Pillow does
/// (ImageSharp silently fills the missing part). The checks walk segment and chunk headers only; no pixels are decoded.
/// </summary>
internal static class ImageStructure
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Returns whether a JPEG stream reaches its end-of-image marker.</summary>
    /// <param name="data">The whole file.</param>
    /// <returns><see langword="true"/> if the EOI marker is reached through well-formed segments.</returns>
    public static bool IsCompleteJpeg(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            return false;
        }

        var pos = 2;
        while (true)
        {
            // Tolerate stray bytes between segments (libjpeg warns about "extraneous bytes" but decodes).
            var next = data[pos..].IndexOf((byte)0xFF);
            if (next < 0)
            {
                return false;
            }

            pos += next;
            while (pos < data.Length && data[pos] == 0xFF)
            {
                pos++;
            }

            if (pos >= data.Length)
            {
                return false;
            }

            var marker = data[pos++];
            if (marker == 0xD9)
            {
                return true;
            }

            if (marker is 0x00 or 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7))
            {
                continue;
            }

            if (pos + 2 > data.Length)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2 || pos + length > data.Length)
            {
                return false;
            }

            pos += length;
            if (marker == 0xDA && !SkipEntropyCodedData(data, ref pos))
            {
                return false;
            }
        }
    }

    /// <summary>Returns whether a PNG stream's chunks are complete up to and including IEND.</summary>
    /// <param name="data">The whole file.</param>
    /// <returns><see langword="true"/> if every chunk fits in the data and an IEND chunk is present.</returns>
    public static bool IsCompletePng(ReadOnlySpan<byte> data)
    {
        if (data.Length < PngSignature.Length || !data[..PngSignature.Length].SequenceEqual(PngSignature))
        {
            return false;
        }

        long pos = PngSignature.Length;
        while (pos + 12 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[(int)pos..]);
            var type = data.Slice((int)pos + 4, 4);
            var end = pos + 12 + length;
            if (end > data.Length)
            {
                return false;
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return true;
            }

            pos = end;
        }

        return false;
    }

    private static bool SkipEntropyCodedData(ReadOnlySpan<byte> data, ref int pos)
    {
        while (true)
        {
            var next = data[pos..].IndexOf((byte)0xFF);
            if (next < 0 || pos + next + 1 >= data.Length)
            {
                return false;
            }

            pos += next;
            var following = data[pos + 1];
            if (following == 0x00 || following == 0xFF || following is >= 0xD0 and <= 0xD7)
            {
                // Stuffed byte, fill byte or restart marker: still inside the scan.
                pos += following == 0xFF ? 1 : 2;
                continue;
            }

            return true;
        }
    }
}
