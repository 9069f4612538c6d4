// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using ConvViz.Models.Layers;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// The ConvViz model file: a safetensors container. Layout: an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON (padded with spaces to a multiple of 8), then the raw little-endian float32 tensors back to back.
/// The JSON maps each tensor name (<c>layer.kernel</c>, …) to its dtype, shape (TorchSharp order) and byte range
/// in the data section; <c>__metadata__</c> holds strings: the format marker and version, and JSON documents for
/// the architecture, compile options, preprocessing and class names. Python's <c>safetensors</c> can read it.
/// </summary>
internal static class ModelFile
{
    public const string FormatMarker = "convviz.model";
    public const string FormatVersion = "1";
    private const string MetadataKey = "__metadata__";
    private const string Float32 = "F32";
    private const string ChecksumKey = "content_sha256";

    public static void Write(Model model, string path)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' has no directory.", nameof(path));

        // Gather the tensors first: nothing is written if anything fails.
        var tensors = new List<(string Name, long[] Shape, float[] Data)>();
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            for (var i = 0; i < model.Specs.Count; i++)
            {
                var spec = model.Specs[i];
                var module = model.LayerModules[i];
                foreach (var t in spec.Tensors)
                {
                    var source = Find(module, t);
                    var cpu = source.detach().cpu().contiguous();
                    tensors.Add(($"{spec.Name}.{t.Name}", t.Shape, cpu.data<float>().ToArray()));
                }
            }
        }

        var header = BuildHeader(model, tensors);
        var temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var (_, _, data) in tensors)
                {
                    WriteLittleEndian(stream, data);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static Model Read(string path, ModelLoadOptions options)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return Read(handle, options);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{path}' is not a valid ConvViz model file: {ex.Message}.", ex);
        }
        catch (OverflowException ex)
        {
            throw new InvalidDataException($"'{path}' is not a valid ConvViz model file: its architecture describes tensors too large to represent.", ex);
        }
    }

    private static Model Read(SafeFileHandle handle, ModelLoadOptions options)
    {
        var fileLength = RandomAccess.GetLength(handle);
        if (fileLength > options.MaxFileSizeBytes)
        {
            throw new InvalidDataException($"the file is {fileLength:N0} bytes, more than ModelLoadOptions.MaxFileSizeBytes ({options.MaxFileSizeBytes:N0})");
        }

        if (fileLength < 8)
        {
            throw new InvalidDataException($"the file is truncated: it has {fileLength} bytes, less than the 8-byte header length");
        }

        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(handle, lengthBytes, 0);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)options.MaxHeaderBytes)
        {
            throw new InvalidDataException($"the header length {headerLength:N0} exceeds ModelLoadOptions.MaxHeaderBytes ({options.MaxHeaderBytes:N0})");
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
        ReadExactly(handle, header, 8);
        var dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;

        return ReadContent(handle, header, dataStart, dataLength);
    }

    private static Model ReadContent(SafeFileHandle handle, byte[] header, long dataStart, long dataLength)
    {
        if (!Utf8.IsValid(header))
        {
            throw new InvalidDataException("the header is not valid UTF-8; this is not a ConvViz model file or it is corrupt");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"the header is not valid JSON ({ex.Message}); this is not a ConvViz model file or it is corrupt", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("the header is not a JSON object; this is not a ConvViz model file");
            }

            var metadata = ReadMetadata(root);
            var builder = ModelJson.ReadArchitecture(Required(metadata, "architecture"));
            var compile = metadata.TryGetValue("compile", out var c) ? ModelJson.ReadCompile(c) : null;
            var preprocessing = metadata.TryGetValue("preprocessing", out var p) ? ModelJson.ReadPreprocessing(p) : null;
            var classNames = metadata.TryGetValue("class_names", out var n) ? ModelJson.ReadClassNames(n) : [];
            var entries = ReadTensorTable(root);
            var plan = PlanTensors(builder, entries, dataLength);
            VerifyChecksum(handle, metadata, dataStart, dataLength);

            // Everything is validated; only now are native tensors allocated. The seed keeps the global RNG untouched.
            var model = builder.WithSeed(0).Build();
            try
            {
                LoadWeights(model, handle, dataStart, plan);
                if (compile is not null)
                {
                    // A model trained in bfloat16 still loads where bfloat16 is unavailable: it continues in float32.
                    var usable = compile.Precision == Precision.BFloat16 && !PrecisionSupport.CpuHasBFloat16 ? compile with { Precision = Precision.Float32 } : compile;
                    model.Compile(usable);
                }

                try
                {
                    model.Preprocessing = preprocessing;
                    model.ClassNames = classNames;
                }
                catch (ArgumentException ex)
                {
                    throw new InvalidDataException($"the metadata does not match the architecture: {ex.Message}", ex);
                }

                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
    }

    private static Dictionary<string, string> ReadMetadata(JsonElement root)
    {
        if (!root.TryGetProperty(MetadataKey, out var element) || element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"the header has no {MetadataKey} object; this is not a ConvViz model file (bad magic)");
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

        var format = metadata.GetValueOrDefault("format");
        if (format != FormatMarker)
        {
            throw new InvalidDataException($"the format marker is '{format}' instead of '{FormatMarker}'; this is not a ConvViz model file (bad magic)");
        }

        var version = metadata.GetValueOrDefault("format_version");
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"the format version is '{version}'; this version of ConvViz reads only version {FormatVersion}. Save the model again with a matching ConvViz version");
        }

        return metadata;
    }

    private static string Required(Dictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"{MetadataKey}.{key} is missing");

    private static Dictionary<string, (string DType, long[] Shape, long Begin, long End)> ReadTensorTable(JsonElement root)
    {
        var entries = new Dictionary<string, (string, long[], long, long)>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == MetadataKey)
            {
                continue;
            }

            var ctx = $"tensor '{property.Name}'";
            var e = property.Value;
            var dtype = ModelJson.String(e, "dtype", ctx);
            var shapeElement = ModelJson.Get(e, "shape", ctx);
            if (shapeElement.ValueKind != JsonValueKind.Array || shapeElement.GetArrayLength() > 8)
            {
                throw new InvalidDataException($"{ctx}: shape must be an array of at most 8 dimensions");
            }

            var shape = shapeElement.EnumerateArray()
                .Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var v) && v >= 0 ? v : throw new InvalidDataException($"{ctx}: shape must contain non-negative integers"))
                .ToArray();
            var offsets = ModelJson.Get(e, "data_offsets", ctx);
            if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
                || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
                || !offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            {
                throw new InvalidDataException($"{ctx}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end");
            }

            if (!entries.TryAdd(property.Name, (dtype, shape, begin, end)))
            {
                throw new InvalidDataException($"{ctx} appears twice in the header");
            }
        }

        return entries;
    }

    /// <summary>Checks the tensor table against the architecture: names, dtypes, shapes, sizes and a contiguous, in-bounds data section.</summary>
    private static List<(int Layer, TensorSpec Tensor, long Begin)> PlanTensors(
        SequentialBuilder builder, Dictionary<string, (string DType, long[] Shape, long Begin, long End)> entries, long dataLength)
    {
        var plan = new List<(int, TensorSpec, long)>();
        var expectedNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < builder.Layers.Count; i++)
        {
            var spec = builder.Layers[i];
            foreach (var t in spec.Tensors)
            {
                var name = $"{spec.Name}.{t.Name}";
                expectedNames.Add(name);
                if (!entries.TryGetValue(name, out var entry))
                {
                    throw new InvalidDataException($"tensor '{name}' of layer {i} is missing");
                }

                if (entry.DType != Float32)
                {
                    throw new InvalidDataException($"tensor '{name}' has dtype '{entry.DType}'; only {Float32} is supported");
                }

                if (!entry.Shape.AsSpan().SequenceEqual(t.Shape))
                {
                    throw new InvalidDataException($"tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] but the architecture needs [{string.Join(", ", t.Shape)}]");
                }

                var bytes = checked(t.ElementCount * sizeof(float));
                if (entry.End - entry.Begin != bytes)
                {
                    throw new InvalidDataException($"tensor '{name}' covers {entry.End - entry.Begin:N0} bytes but its shape needs {bytes:N0}");
                }

                plan.Add((i, t, entry.Begin));
            }
        }

        var unexpected = entries.Keys.FirstOrDefault(k => !expectedNames.Contains(k));
        if (unexpected is not null)
        {
            throw new InvalidDataException($"tensor '{unexpected}' does not belong to the architecture");
        }

        long position = 0;
        foreach (var (name, entry) in entries.OrderBy(e => e.Value.Begin).ThenBy(e => e.Value.End))
        {
            if (entry.Begin != position)
            {
                throw new InvalidDataException($"tensor '{name}' starts at byte {entry.Begin:N0} of the data section, expected {position:N0}; the tensors must be contiguous");
            }

            position = entry.End;
        }

        if (position != dataLength)
        {
            throw new InvalidDataException(position > dataLength
                ? $"the file is truncated: the tensors need {position:N0} data bytes but only {dataLength:N0} are present"
                : $"the data section has {dataLength:N0} bytes but the tensors cover only {position:N0}");
        }

        return plan;
    }

    private static void LoadWeights(Model model, SafeFileHandle handle, long dataStart, List<(int Layer, TensorSpec Tensor, long Begin)> plan)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (layer, t, begin) in plan)
        {
            var values = new float[checked((int)t.ElementCount)];
            ReadExactly(handle, MemoryMarshal.AsBytes(values.AsSpan()), dataStart + begin);
            if (!BitConverter.IsLittleEndian)
            {
                var raw = MemoryMarshal.Cast<float, int>(values.AsSpan());
                BinaryPrimitives.ReverseEndianness(raw, raw);
            }

            var module = model.LayerModules[layer];
            var target = Find(module, t);
            target.copy_(tensor(values, t.Shape));
        }
    }

    private static byte[] BuildHeader(Model model, List<(string Name, long[] Shape, float[] Data)> tensors)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["format"] = FormatMarker,
                ["format_version"] = FormatVersion,
                ["architecture"] = ModelJson.WriteArchitecture(model.InputShape, model.Specs),
            };
            if (model.Compilation is { } compile)
            {
                metadata["compile"] = ModelJson.WriteCompile(compile);
            }

            if (model.Preprocessing is { } preprocessing)
            {
                metadata["preprocessing"] = ModelJson.WritePreprocessing(preprocessing);
            }

            metadata["class_names"] = ModelJson.WriteClassNames(model.ClassNames);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            HashMetadata(hash, metadata);
            foreach (var (_, _, data) in tensors)
            {
                HashLittleEndian(hash, data);
            }

            metadata[ChecksumKey] = Convert.ToHexStringLower(hash.GetHashAndReset());
            w.WriteStartObject(MetadataKey);
            foreach (var (key, value) in metadata)
            {
                w.WriteString(key, value);
            }

            w.WriteEndObject();
            long offset = 0;
            foreach (var (name, shape, data) in tensors)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", Float32);
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

        return stream.ToArray();
    }

    private static void WriteLittleEndian(Stream stream, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }

        var copy = data.ToArray();
        var raw = MemoryMarshal.Cast<float, int>(copy.AsSpan());
        BinaryPrimitives.ReverseEndianness(raw, raw);
        stream.Write(MemoryMarshal.AsBytes(copy.AsSpan()));
    }

    /// <summary>
    /// Checks the SHA-256 of the metadata and the data section against <c>content_sha256</c>, so a flipped bit in the
    /// weights or in an option is reported instead of loaded. Files from other safetensors writers have no checksum
    /// and are accepted on their structural checks alone.
    /// </summary>
    private static void VerifyChecksum(SafeFileHandle handle, Dictionary<string, string> metadata, long dataStart, long dataLength)
    {
        if (!metadata.TryGetValue(ChecksumKey, out var expected))
        {
            return;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        HashMetadata(hash, metadata);
        var buffer = new byte[1 << 16];
        for (long done = 0; done < dataLength;)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, dataLength - done));
            ReadExactly(handle, chunk, dataStart + done);
            hash.AppendData(chunk);
            done += chunk.Length;
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            var stated = expected.Length <= 64 ? expected : expected[..64] + "…";
            throw new InvalidDataException($"the content checksum does not match (SHA-256 {actual}, the header says {stated}); the file was corrupted after it was saved (a flipped bit, a bad copy or disk). Restore it from a good copy");
        }
    }

    /// <summary>Hashes every metadata entry except the checksum itself, in ordinal key order, as length-prefixed UTF-8.</summary>
    private static void HashMetadata(IncrementalHash hash, Dictionary<string, string> metadata)
    {
        Span<byte> length = stackalloc byte[8];
        foreach (var (key, value) in metadata.Where(p => p.Key != ChecksumKey).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var text in (ReadOnlySpan<string>)[key, value])
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(text);
                BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
                hash.AppendData(length);
                hash.AppendData(bytes);
            }
        }
    }

    private static void HashLittleEndian(IncrementalHash hash, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            hash.AppendData(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }

        var copy = data.ToArray();
        var raw = MemoryMarshal.Cast<float, int>(copy.AsSpan());
        BinaryPrimitives.ReverseEndianness(raw, raw);
        hash.AppendData(MemoryMarshal.AsBytes(copy.AsSpan()));
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (read == 0)
            {
                throw new InvalidDataException($"the file ended at byte {offset + done:N0} while {buffer.Length - done:N0} more bytes were expected; it is truncated");
            }

            done += read;
        }
    }

    private static Tensor Find(LayerModule module, TensorSpec t) =>
        (t.Trainable ? module.get_parameter(t.Name) : module.get_buffer(t.Name))
        ?? throw new InvalidOperationException($"Layer '{module.GetName()}' has no tensor '{t.Name}'.");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
