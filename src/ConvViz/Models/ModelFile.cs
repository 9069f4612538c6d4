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
/// the architecture, compile options, preprocessing and class names, and, when saved with the training state, its
/// <c>training_state</c> (the optimizer's moments are then extra tensors). Python's <c>safetensors</c> can read it.
/// </summary>
internal static class ModelFile
{
    public const string FormatMarker = "convviz.model";
    public const string FormatVersion = "1";
    private const string MetadataKey = "__metadata__";
    private const string Float32 = "F32";
    private const string ChecksumKey = "content_sha256";

    /// <summary>Writes the model to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    public static void Write(Model model, string path, ModelSaveOptions options)
    {
        // Gather the tensors first: no file is created if anything fails.
        var content = Gather(model, options);
        AtomicFile.Write(path, stream => WriteTo(stream, content));
    }

    /// <summary>Writes the model to <paramref name="stream"/> at its current position; the stream is not closed.</summary>
    public static void Write(Model model, Stream stream, ModelSaveOptions options)
    {
        var content = Gather(model, options);
        WriteTo(stream, content);
        stream.Flush();
    }

    private static (byte[] Header, List<(string Name, long[] Shape, float[] Data)> Tensors) Gather(Model model, ModelSaveOptions options)
    {
        var tensors = new List<(string Name, long[] Shape, float[] Data)>();
        SavedTrainingState? training = null;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            for (var i = 0; i < model.Specs.Count; i++)
            {
                var spec = model.Specs[i];
                var module = model.LayerModules[i];
                foreach (var t in spec.Tensors)
                {
                    tensors.Add(($"{spec.Name}.{t.Name}", t.Shape, ToFloats(Find(module, t))));
                }
            }

            if (options.IncludeTrainingState && model.TrainingState.Optimizer is { } optimizer && model.Compilation is not null)
            {
                training = SavedTrainingState.From(optimizer, model.TrainingState.Position);
                for (var s = 0; s < optimizer.SlotNames.Count; s++)
                {
                    for (var p = 0; p < optimizer.ParameterNames.Count; p++)
                    {
                        var slot = optimizer.Slots[p][s];
                        tensors.Add((SavedTrainingState.TensorName(optimizer.SlotNames[s], optimizer.ParameterNames[p]), slot.shape, ToFloats(slot)));
                    }
                }
            }
        }

        return (BuildHeader(model, tensors, training), tensors);
    }

    /// <summary>Copies a tensor's values to a float array, from any device (through a CPU copy, in row-major order).</summary>
    private static float[] ToFloats(Tensor tensor) => tensor.detach().to(CPU).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();

    private static void WriteTo(Stream stream, (byte[] Header, List<(string Name, long[] Shape, float[] Data)> Tensors) content)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)content.Header.Length);
        stream.Write(length);
        stream.Write(content.Header);
        foreach (var (_, _, data) in content.Tensors)
        {
            WriteLittleEndian(stream, data);
        }
    }

    public static Model Read(string path, ModelLoadOptions options)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(new FileSource(handle), options, $"'{path}'");
    }

    /// <summary>
    /// Reads a model from <paramref name="stream"/>, from its current position. A seekable stream is read in place
    /// (its remaining length must be the model's); a non-seekable one is first copied to memory, at most
    /// <see cref="ModelLoadOptions.MaxFileSizeBytes"/> bytes.
    /// </summary>
    public static Model Read(Stream stream, ModelLoadOptions options)
    {
        IModelSource source;
        if (stream.CanSeek)
        {
            source = new StreamSource(stream);
        }
        else
        {
            var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > options.MaxFileSizeBytes)
                {
                    throw new InvalidDataException(
                        $"The stream is not a valid ConvViz model: it holds more than ModelLoadOptions.MaxFileSizeBytes ({options.MaxFileSizeBytes:N0}) bytes. " +
                        "Raise the limit if the model really is that large.");
                }

                buffer.Write(chunk, 0, read);
            }

            buffer.Position = 0;
            source = new StreamSource(buffer);
        }

        try
        {
            return Read(source, options, "The stream");
        }
        finally
        {
            if (stream.CanSeek)
            {
                stream.Seek(0, SeekOrigin.End);
            }
        }
    }

    private static Model Read(IModelSource source, ModelLoadOptions options, string what)
    {
        try
        {
            return ReadChecked(source, options);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{what} is not a valid ConvViz model file: {ex.Message}.", ex);
        }
        catch (OverflowException ex)
        {
            throw new InvalidDataException($"{what} is not a valid ConvViz model file: its architecture describes tensors too large to represent.", ex);
        }
    }

    private static Model ReadChecked(IModelSource handle, ModelLoadOptions options)
    {
        var fileLength = handle.Length;
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

    private static Model ReadContent(IModelSource handle, byte[] header, long dataStart, long dataLength)
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
            var training = metadata.TryGetValue(SavedTrainingState.MetadataKey, out var ts) ? SavedTrainingState.Parse(ts) : null;
            var trainingPlan = training is null ? null : PlanTrainingState(builder, compile, training, entries);
            var plan = PlanTensors(builder, entries, trainingPlan?.Keys, dataLength);
            VerifyChecksum(handle, metadata, dataStart, dataLength);

            // Everything is validated; only now are native tensors allocated. The seed keeps the global RNG untouched.
            var model = builder.Build(0);
            try
            {
                LoadWeights(model, handle, dataStart, plan);
                if (compile is not null)
                {
                    // A model trained in bfloat16 still loads where bfloat16 is unavailable: it continues in float32.
                    var usable = compile.Precision == Precision.BFloat16 && !PrecisionSupport.CpuHasBFloat16 ? compile with { Precision = Precision.Float32 } : compile;
                    model.Compile(usable);
                }

                if (training is not null && trainingPlan is not null)
                {
                    LoadTrainingState(model, training, trainingPlan, handle, dataStart, entries);
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
        LayerGraphBuilder builder, Dictionary<string, (string DType, long[] Shape, long Begin, long End)> entries, IEnumerable<string>? trainingTensors, long dataLength)
    {
        var plan = new List<(int, TensorSpec, long)>();
        var expectedNames = new HashSet<string>(trainingTensors ?? [], StringComparer.Ordinal);
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

    /// <summary>
    /// Checks the saved training state against the architecture and the compile settings before anything is allocated:
    /// the optimizer kind and slots must be those of the saved optimizer, the parameters exactly the trainable tensors,
    /// and every slot tensor must exist with its parameter's shape. Returns each slot tensor's name and shape.
    /// </summary>
    private static Dictionary<string, long[]> PlanTrainingState(
        LayerGraphBuilder builder, CompileOptions? compile, SavedTrainingState training, Dictionary<string, (string DType, long[] Shape, long Begin, long End)> entries)
    {
        if (compile is null)
        {
            throw new InvalidDataException($"{MetadataKey}.{SavedTrainingState.MetadataKey} holds optimizer state but the file has no compile settings; the file is corrupt or was edited");
        }

        if (training.Kind != compile.Optimizer.Kind)
        {
            throw new InvalidDataException(
                $"the saved optimizer state is for {training.Kind} but the saved compile settings use {compile.Optimizer.Kind}; the file is corrupt or was edited. " +
                "Save the model again from the training program");
        }

        var slots = OptimizerState.SlotNamesOf(compile.Optimizer);
        if (!training.Slots.SequenceEqual(slots, StringComparer.Ordinal))
        {
            throw new InvalidDataException(
                $"the saved optimizer state has slots [{string.Join(", ", training.Slots)}] but {compile.Optimizer.Kind} with these settings needs [{string.Join(", ", slots)}]");
        }

        var trainable = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var spec in builder.Layers)
        {
            foreach (var t in spec.Tensors.Where(t => t.Trainable))
            {
                trainable[$"{spec.Name}.{t.Name}"] = t.Shape;
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in training.Parameters)
        {
            if (!trainable.ContainsKey(name))
            {
                throw new InvalidDataException($"the saved optimizer state covers parameter '{name}', which the architecture does not have; the optimizer state does not match the architecture");
            }

            if (!seen.Add(name))
            {
                throw new InvalidDataException($"the saved optimizer state lists parameter '{name}' twice");
            }
        }

        var missing = trainable.Keys.FirstOrDefault(k => !seen.Contains(k));
        if (missing is not null)
        {
            throw new InvalidDataException($"the saved optimizer state has no entry for parameter '{missing}'; the optimizer state does not match the architecture");
        }

        var plan = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var slot in slots)
        {
            foreach (var parameter in training.Parameters)
            {
                var name = SavedTrainingState.TensorName(slot, parameter);
                var shape = trainable[parameter];
                if (!entries.TryGetValue(name, out var entry))
                {
                    throw new InvalidDataException($"optimizer tensor '{name}' is missing");
                }

                if (entry.DType != Float32)
                {
                    throw new InvalidDataException($"optimizer tensor '{name}' has dtype '{entry.DType}'; only {Float32} is supported");
                }

                if (!entry.Shape.AsSpan().SequenceEqual(shape))
                {
                    throw new InvalidDataException(
                        $"optimizer tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] but parameter '{parameter}' has shape [{string.Join(", ", shape)}]; the optimizer state does not match the architecture");
                }

                var bytes = checked(shape.Aggregate(1L, (x, y) => checked(x * y)) * sizeof(float));
                if (entry.End - entry.Begin != bytes)
                {
                    throw new InvalidDataException($"optimizer tensor '{name}' covers {entry.End - entry.Begin:N0} bytes but its shape needs {bytes:N0}");
                }

                plan[name] = shape;
            }
        }

        return plan;
    }

    /// <summary>Builds the optimizer state over the loaded model's parameters and fills it from the file.</summary>
    private static void LoadTrainingState(
        Model model, SavedTrainingState training, Dictionary<string, long[]> plan, IModelSource handle, long dataStart,
        Dictionary<string, (string DType, long[] Shape, long Begin, long End)> entries)
    {
        var compilation = model.Compilation!;
        var state = new OptimizerState(compilation.Optimizer, model.TrainableParameters());
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            for (var s = 0; s < state.SlotNames.Count; s++)
            {
                for (var p = 0; p < state.ParameterNames.Count; p++)
                {
                    var name = SavedTrainingState.TensorName(state.SlotNames[s], state.ParameterNames[p]);
                    var shape = plan[name];
                    var values = new float[checked((int)shape.Aggregate(1L, (x, y) => x * y))];
                    ReadExactly(handle, MemoryMarshal.AsBytes(values.AsSpan()), dataStart + entries[name].Begin);
                    if (!BitConverter.IsLittleEndian)
                    {
                        var raw = MemoryMarshal.Cast<float, int>(values.AsSpan());
                        BinaryPrimitives.ReverseEndianness(raw, raw);
                    }

                    state.Slots[p][s].copy_(tensor(values, shape));
                }
            }

            state.Iterations = training.Iterations;
            state.LearningRate = training.LearningRate;
        }
        catch
        {
            state.Dispose();
            throw;
        }

        model.TrainingState.Restore(compilation, state, training.Position);
    }

    private static void LoadWeights(Model model, IModelSource handle, long dataStart, List<(int Layer, TensorSpec Tensor, long Begin)> plan)
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

    private static byte[] BuildHeader(Model model, List<(string Name, long[] Shape, float[] Data)> tensors, SavedTrainingState? training)
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
            if (training is not null)
            {
                metadata[SavedTrainingState.MetadataKey] = training.ToJson();
            }

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
    private static void VerifyChecksum(IModelSource handle, Dictionary<string, string> metadata, long dataStart, long dataLength)
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

    private static void ReadExactly(IModelSource handle, Span<byte> buffer, long offset)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = handle.Read(buffer[done..], offset + done);
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

    /// <summary>Random-access reads over the bytes of a model file.</summary>
    private interface IModelSource
    {
        long Length { get; }

        /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; 0 at the end.</summary>
        int Read(Span<byte> buffer, long offset);
    }

    private sealed class FileSource(SafeFileHandle handle) : IModelSource
    {
        public long Length => RandomAccess.GetLength(handle);

        public int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle, buffer, offset);
    }

    /// <summary>A seekable stream, from the position it had when loading started.</summary>
    private sealed class StreamSource : IModelSource
    {
        private readonly Stream _stream;
        private readonly long _start;

        public StreamSource(Stream stream)
        {
            _stream = stream;
            _start = stream.Position;
            Length = Math.Max(0, stream.Length - _start);
        }

        public long Length { get; }

        public int Read(Span<byte> buffer, long offset)
        {
            if (offset >= Length)
            {
                return 0;
            }

            _stream.Position = _start + offset;
            return _stream.Read(buffer[..(int)Math.Min(buffer.Length, Length - offset)]);
        }
    }
}
