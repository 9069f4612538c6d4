// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace ConvViz;

/// <summary>A tensor's entry in a safetensors header: dtype, shape and byte range [Begin, End) in the data section.</summary>
internal readonly record struct SafeTensorEntry(string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Gets the number of bytes the entry covers.</summary>
    public long ByteLength => End - Begin;
}

/// <summary>What a safetensors reader accepts, and the names its error messages use for the file kind and the limits.</summary>
internal sealed record SafeTensorsReadOptions
{
    /// <summary>Gets the file kind errors name (<c>this is not a ConvViz model file</c>).</summary>
    public required string FormatName { get; init; }

    /// <summary>Gets the largest file accepted.</summary>
    public required long MaxFileBytes { get; init; }

    /// <summary>Gets the setting errors tell the user to raise for <see cref="MaxFileBytes"/>.</summary>
    public required string MaxFileBytesSetting { get; init; }

    /// <summary>Gets the largest JSON header accepted.</summary>
    public required long MaxHeaderBytes { get; init; }

    /// <summary>Gets the setting errors tell the user to raise for <see cref="MaxHeaderBytes"/>.</summary>
    public required string MaxHeaderBytesSetting { get; init; }
}

/// <summary>
/// Reads a safetensors file strictly, in steps the format on top of it calls in its own order: <see cref="Open"/>
/// checks the sizes and parses the header (an 8-byte little-endian length, then a UTF-8 JSON object);
/// <see cref="ReadMetadata"/> and <see cref="ReadTensorTable"/> check the structure of <c>__metadata__</c> and of the
/// tensor entries; <see cref="VerifyLayout"/> checks that the entries cover the data section exactly, back to back;
/// <see cref="VerifyChecksum"/> checks the optional <see cref="SafeTensorsChecksum"/>. Only then should tensors be
/// allocated and read (<see cref="ReadFloat32"/>). Every problem is an <see cref="InvalidDataException"/> whose
/// message continues "X is not a valid … file: ".
/// </summary>
internal sealed class SafeTensorsReader : IDisposable
{
    /// <summary>The header key of the metadata strings.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The dtype of float32 tensors.</summary>
    public const string Float32 = "F32";

    private readonly SafeTensorsSource _source;
    private readonly JsonDocument _document;
    private readonly long _dataStart;

    private SafeTensorsReader(SafeTensorsSource source, JsonDocument document, long dataStart, long dataLength)
    {
        _source = source;
        _document = document;
        _dataStart = dataStart;
        DataLength = dataLength;
    }

    /// <summary>Gets the length of the data section in bytes.</summary>
    public long DataLength { get; }

    /// <summary>Checks the file and header sizes against the limits, reads the header and parses it as a JSON object.</summary>
    /// <param name="source">The bytes; not disposed by the reader.</param>
    /// <param name="options">The limits and the names for the messages.</param>
    public static SafeTensorsReader Open(SafeTensorsSource source, SafeTensorsReadOptions options)
    {
        var fileLength = source.Length;
        if (fileLength > options.MaxFileBytes)
        {
            throw new InvalidDataException($"the file is {fileLength:N0} bytes, more than {options.MaxFileBytesSetting} ({options.MaxFileBytes:N0})");
        }

        if (fileLength < 8)
        {
            throw new InvalidDataException($"the file is truncated: it has {fileLength} bytes, less than the 8-byte header length");
        }

        Span<byte> lengthBytes = stackalloc byte[8];
        source.ReadExactly(lengthBytes, 0);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)options.MaxHeaderBytes)
        {
            throw new InvalidDataException($"the header length {headerLength:N0} exceeds {options.MaxHeaderBytesSetting} ({options.MaxHeaderBytes:N0})");
        }

        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new InvalidDataException($"the header length {headerLength:N0} points past the end of the file ({fileLength:N0} bytes); the file is truncated or corrupt");
        }

        if (headerLength < 2)
        {
            throw new InvalidDataException($"the header length {headerLength} is too small for a JSON header");
        }

        var header = new byte[(int)headerLength];
        source.ReadExactly(header, 8);
        var dataStart = 8 + (long)headerLength;
        if (!Utf8.IsValid(header))
        {
            throw new InvalidDataException($"the header is not valid UTF-8; this is not a {options.FormatName} file or it is corrupt");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"the header is not valid JSON ({ex.Message}); this is not a {options.FormatName} file or it is corrupt", ex);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new InvalidDataException($"the header is not a JSON object; this is not a {options.FormatName} file");
        }

        return new SafeTensorsReader(source, document, dataStart, fileLength - dataStart);
    }

    /// <summary>Reads <c>__metadata__</c>: string values, each key once.</summary>
    /// <returns>The entries, or <see langword="null"/> when the header has no <c>__metadata__</c> object.</returns>
    public Dictionary<string, string>? ReadMetadata()
    {
        if (!_document.RootElement.TryGetProperty(MetadataKey, out var element) || element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{MetadataKey}.{property.Name} must be a string");
            }

            if (!metadata.TryAdd(property.Name, property.Value.GetString()!))
            {
                throw new InvalidDataException($"{MetadataKey}.{property.Name} appears twice");
            }
        }

        return metadata;
    }

    /// <summary>
    /// Reads every tensor entry: a dtype string, a shape of at most 8 non-negative integers and
    /// <c>data_offsets</c> [begin, end] with 0 ≤ begin ≤ end, each name once. Neither the dtype's size nor the data
    /// section is checked here (see <see cref="VerifyLayout"/>).
    /// </summary>
    /// <returns>The entries by name, in header order.</returns>
    public Dictionary<string, SafeTensorEntry> ReadTensorTable()
    {
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        foreach (var property in _document.RootElement.EnumerateObject())
        {
            if (property.Name == MetadataKey)
            {
                continue;
            }

            var ctx = $"tensor '{property.Name}'";
            var e = property.Value;
            var dtype = JsonFields.String(e, "dtype", ctx);
            var shapeElement = JsonFields.Get(e, "shape", ctx);
            if (shapeElement.ValueKind != JsonValueKind.Array || shapeElement.GetArrayLength() > 8)
            {
                throw new InvalidDataException($"{ctx}: shape must be an array of at most 8 dimensions");
            }

            var shape = shapeElement.EnumerateArray()
                .Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var v) && v >= 0 ? v : throw new InvalidDataException($"{ctx}: shape must contain non-negative integers"))
                .ToArray();
            var offsets = JsonFields.Get(e, "data_offsets", ctx);
            if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
                || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
                || !offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            {
                throw new InvalidDataException($"{ctx}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end");
            }

            if (!entries.TryAdd(property.Name, new SafeTensorEntry(dtype, shape, begin, end)))
            {
                throw new InvalidDataException($"{ctx} appears twice in the header");
            }
        }

        return entries;
    }

    /// <summary>Checks that the entries lie back to back from byte 0 and end exactly at the end of the data section.</summary>
    public void VerifyLayout(IReadOnlyDictionary<string, SafeTensorEntry> entries)
    {
        long position = 0;
        foreach (var (name, entry) in entries.OrderBy(e => e.Value.Begin).ThenBy(e => e.Value.End))
        {
            if (entry.Begin != position)
            {
                throw new InvalidDataException($"tensor '{name}' starts at byte {entry.Begin:N0} of the data section, expected {position:N0}; the tensors must be contiguous");
            }

            position = entry.End;
        }

        if (position != DataLength)
        {
            throw new InvalidDataException(position > DataLength
                ? $"the file is truncated: the tensors need {position:N0} data bytes but only {DataLength:N0} are present"
                : $"the data section has {DataLength:N0} bytes but the tensors cover only {position:N0}");
        }
    }

    /// <summary>Checks the optional content checksum (see <see cref="SafeTensorsChecksum.Verify"/>).</summary>
    public void VerifyChecksum(IReadOnlyDictionary<string, string> metadata) => SafeTensorsChecksum.Verify(_source, metadata, _dataStart, DataLength);

    /// <summary>Reads float32 values from byte <paramref name="begin"/> of the data section into <paramref name="values"/>, in machine byte order.</summary>
    public void ReadFloat32(long begin, Span<float> values)
    {
        _source.ReadExactly(MemoryMarshal.AsBytes(values), _dataStart + begin);
        if (!BitConverter.IsLittleEndian)
        {
            var raw = MemoryMarshal.Cast<float, int>(values);
            BinaryPrimitives.ReverseEndianness(raw, raw);
        }
    }

    public void Dispose() => _document.Dispose();
}
