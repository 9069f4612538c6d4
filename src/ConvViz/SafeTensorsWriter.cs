// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ConvViz;

/// <summary>A float32 tensor to write: its name, shape (row-major) and values.</summary>
internal sealed record SafeTensor(string Name, long[] Shape, float[] Data);

/// <summary>
/// Writes a safetensors file: an 8-byte little-endian header length N, N bytes of UTF-8 JSON (padded with spaces to
/// a multiple of 8 so the data section is aligned), then the tensors' little-endian bytes back to back in the given
/// order. The JSON holds <c>__metadata__</c> (strings, in the given order, then the optional
/// <see cref="SafeTensorsChecksum"/>) and, per tensor, its dtype (<c>F32</c>), shape and byte range in the data section.
/// The header is built by <see cref="Create"/>, before any destination is opened.
/// </summary>
internal sealed class SafeTensorsWriter
{
    private readonly byte[] _header;
    private readonly IReadOnlyList<SafeTensor> _tensors;

    private SafeTensorsWriter(byte[] header, IReadOnlyList<SafeTensor> tensors)
    {
        _header = header;
        _tensors = tensors;
    }

    /// <summary>Builds the header of a file with <paramref name="metadata"/> and <paramref name="tensors"/>.</summary>
    /// <param name="metadata">The metadata strings, written in this order.</param>
    /// <param name="tensors">The tensors, written in this order; the arrays are not copied.</param>
    /// <param name="withChecksum">Whether to add <see cref="SafeTensorsChecksum.Key"/> after the metadata.</param>
    public static SafeTensorsWriter Create(IReadOnlyList<KeyValuePair<string, string>> metadata, IReadOnlyList<SafeTensor> tensors, bool withChecksum)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartObject(SafeTensorsReader.MetadataKey);
            foreach (var (key, value) in metadata)
            {
                w.WriteString(key, value);
            }

            if (withChecksum)
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                SafeTensorsChecksum.HashMetadata(hash, metadata);
                foreach (var t in tensors)
                {
                    hash.AppendData(LittleEndianBytes(t.Data));
                }

                w.WriteString(SafeTensorsChecksum.Key, Convert.ToHexStringLower(hash.GetHashAndReset()));
            }

            w.WriteEndObject();
            long offset = 0;
            foreach (var (name, shape, data) in tensors)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", SafeTensorsReader.Float32);
                w.WriteStartArray("shape");
                foreach (var d in shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += (long)data.Length * sizeof(float);
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        // Pad with spaces to a multiple of 8 so the data section is aligned (the safetensors convention).
        var padding = (int)((8 - (stream.Length % 8)) % 8);
        for (var i = 0; i < padding; i++)
        {
            stream.WriteByte((byte)' ');
        }

        return new SafeTensorsWriter(stream.ToArray(), tensors);
    }

    /// <summary>Writes the file to <paramref name="stream"/> at its current position; the stream is neither flushed nor closed.</summary>
    public void WriteTo(Stream stream)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)_header.Length);
        stream.Write(length);
        stream.Write(_header);
        foreach (var t in _tensors)
        {
            stream.Write(LittleEndianBytes(t.Data));
        }
    }

    /// <summary>The values' bytes in little-endian order: the array itself on little-endian machines, a swapped copy otherwise.</summary>
    private static ReadOnlySpan<byte> LittleEndianBytes(float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(data.AsSpan());
        }

        var copy = data.ToArray();
        var raw = MemoryMarshal.Cast<float, int>(copy.AsSpan());
        BinaryPrimitives.ReverseEndianness(raw, raw);
        return MemoryMarshal.AsBytes(copy.AsSpan());
    }
}
