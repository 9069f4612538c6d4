// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// The ConvViz model file, a schema on the safetensors container (<see cref="SafeTensorsReader"/>,
/// <see cref="SafeTensorsWriter"/>): one float32 tensor per layer tensor, named <c>layer.kernel</c>, … in TorchSharp
/// order; <c>__metadata__</c> holds strings: the format marker and version, and JSON documents for the architecture,
/// compile options, preprocessing and class names, the content checksum, and, when saved with the training state,
/// its <c>training_state</c> (the optimizer's moments are then extra tensors). Python's <c>safetensors</c> can read it.
/// </summary>
internal static class ModelFile
{
    public const string FormatMarker = "convviz.model";
    public const string FormatVersion = "1";
    private const string MetadataKey = SafeTensorsReader.MetadataKey;
    private const string Float32 = SafeTensorsReader.Float32;

    /// <summary>Writes the model to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    public static void Write(Model model, string path, ModelSaveOptions options)
    {
        // Gather the tensors first: no file is created if anything fails.
        var content = Gather(model, options);
        AtomicFile.Write(path, content.WriteTo);
    }

    /// <summary>Writes the model to <paramref name="stream"/> at its current position; the stream is not closed.</summary>
    public static void Write(Model model, Stream stream, ModelSaveOptions options)
    {
        var content = Gather(model, options);
        content.WriteTo(stream);
        stream.Flush();
    }

    private static SafeTensorsWriter Gather(Model model, ModelSaveOptions options)
    {
        var tensors = new List<SafeTensor>();
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
                    tensors.Add(new SafeTensor($"{spec.Name}.{t.Name}", t.Shape, ToFloats(Find(module, t))));
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
                        tensors.Add(new SafeTensor(SavedTrainingState.TensorName(optimizer.SlotNames[s], optimizer.ParameterNames[p]), slot.shape, ToFloats(slot)));
                    }
                }
            }
        }

        return SafeTensorsWriter.Create(Metadata(model, training), tensors, withChecksum: true);
    }

    /// <summary>Copies a tensor's values to a float array, from any device (through a CPU copy, in row-major order).</summary>
    private static float[] ToFloats(Tensor tensor) => tensor.detach().to(CPU).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();

    public static Model Read(string path, ModelLoadOptions options)
    {
        using var source = SafeTensorsSource.FromFile(path);
        return Read(source, options, $"'{path}'");
    }

    /// <summary>
    /// Reads a model from <paramref name="stream"/>, from its current position. A seekable stream is read in place
    /// (its remaining length must be the model's); a non-seekable one is first copied to memory, at most
    /// <see cref="ModelLoadOptions.MaxFileSizeBytes"/> bytes.
    /// </summary>
    public static Model Read(Stream stream, ModelLoadOptions options)
    {
        using var source = SafeTensorsSource.FromStream(
            stream,
            options.MaxFileSizeBytes,
            () => $"The stream is not a valid ConvViz model: it holds more than ModelLoadOptions.MaxFileSizeBytes ({options.MaxFileSizeBytes:N0}) bytes. " +
                "Raise the limit if the model really is that large.");
        return Read(source, options, "The stream");
    }

    private static Model Read(SafeTensorsSource source, ModelLoadOptions options, string what)
    {
        try
        {
            using var file = SafeTensorsReader.Open(source, new SafeTensorsReadOptions
            {
                FormatName = "ConvViz model",
                MaxFileBytes = options.MaxFileSizeBytes,
                MaxFileBytesSetting = "ModelLoadOptions.MaxFileSizeBytes",
                MaxHeaderBytes = options.MaxHeaderBytes,
                MaxHeaderBytesSetting = "ModelLoadOptions.MaxHeaderBytes",
            });
            return ReadContent(file);
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

    private static Model ReadContent(SafeTensorsReader file)
    {
        var metadata = ReadMetadata(file);
        var builder = ModelJson.ReadArchitecture(Required(metadata, "architecture"));
        var compile = metadata.TryGetValue("compile", out var c) ? ModelJson.ReadCompile(c) : null;
        var preprocessing = metadata.TryGetValue("preprocessing", out var p) ? ModelJson.ReadPreprocessing(p) : null;
        var classNames = metadata.TryGetValue("class_names", out var n) ? ModelJson.ReadClassNames(n) : [];
        var entries = file.ReadTensorTable();
        var training = metadata.TryGetValue(SavedTrainingState.MetadataKey, out var ts) ? SavedTrainingState.Parse(ts) : null;
        var trainingPlan = training is null ? null : PlanTrainingState(builder, compile, training, entries);
        var plan = PlanTensors(builder, entries, trainingPlan?.Keys);
        file.VerifyLayout(entries);
        file.VerifyChecksum(metadata);

        // Everything is validated; only now are native tensors allocated. The seed keeps the global RNG untouched.
        var model = builder.Build(0, weightsFollow: true);
        try
        {
            LoadWeights(model, file, plan);
            if (compile is not null)
            {
                // A model trained in bfloat16 still loads where bfloat16 is unavailable: it continues in float32.
                var usable = compile.Precision == Precision.BFloat16 && !PrecisionSupport.CpuHasBFloat16 ? compile with { Precision = Precision.Float32 } : compile;
                model.Compile(usable);
            }

            if (training is not null && trainingPlan is not null)
            {
                LoadTrainingState(model, training, trainingPlan, file, entries);
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

    private static Dictionary<string, string> ReadMetadata(SafeTensorsReader file)
    {
        var metadata = file.ReadMetadata()
            ?? throw new InvalidDataException($"the header has no {MetadataKey} object; this is not a ConvViz model file (bad magic)");
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

    /// <summary>Checks the tensor table against the architecture: names, dtypes, shapes and sizes (the layout of the data section is the container's check).</summary>
    private static List<(int Layer, TensorSpec Tensor, long Begin)> PlanTensors(
        LayerGraphBuilder builder, Dictionary<string, SafeTensorEntry> entries, IEnumerable<string>? trainingTensors)
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
                if (entry.ByteLength != bytes)
                {
                    throw new InvalidDataException($"tensor '{name}' covers {entry.ByteLength:N0} bytes but its shape needs {bytes:N0}");
                }

                plan.Add((i, t, entry.Begin));
            }
        }

        var unexpected = entries.Keys.FirstOrDefault(k => !expectedNames.Contains(k));
        if (unexpected is not null)
        {
            throw new InvalidDataException($"tensor '{unexpected}' does not belong to the architecture");
        }

        return plan;
    }

    /// <summary>
    /// Checks the saved training state against the architecture and the compile settings before anything is allocated:
    /// the optimizer kind and slots must be those of the saved optimizer, the parameters exactly the trainable tensors of the layers that are not frozen,
    /// and every slot tensor must exist with its parameter's shape. Returns each slot tensor's name and shape.
    /// </summary>
    private static Dictionary<string, long[]> PlanTrainingState(
        LayerGraphBuilder builder, CompileOptions? compile, SavedTrainingState training, Dictionary<string, SafeTensorEntry> entries)
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

        // The optimizer covers the trainable tensors of the layers that are not frozen.
        var trainable = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var spec in builder.Layers.Where((_, i) => !builder.IsFrozen(i)))
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
                if (entry.ByteLength != bytes)
                {
                    throw new InvalidDataException($"optimizer tensor '{name}' covers {entry.ByteLength:N0} bytes but its shape needs {bytes:N0}");
                }

                plan[name] = shape;
            }
        }

        return plan;
    }

    /// <summary>Builds the optimizer state over the loaded model's parameters and fills it from the file.</summary>
    private static void LoadTrainingState(
        Model model, SavedTrainingState training, Dictionary<string, long[]> plan, SafeTensorsReader file, Dictionary<string, SafeTensorEntry> entries)
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
                    file.ReadFloat32(entries[name].Begin, values);

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

    private static void LoadWeights(Model model, SafeTensorsReader file, List<(int Layer, TensorSpec Tensor, long Begin)> plan)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (layer, t, begin) in plan)
        {
            var values = new float[checked((int)t.ElementCount)];
            file.ReadFloat32(begin, values);

            var module = model.LayerModules[layer];
            var target = Find(module, t);
            using var flat = frombuffer(values, ScalarType.Float32);
            using var value = flat.view(t.Shape);
            target.copy_(value);
        }
    }

    /// <summary>The metadata strings of the file, in the order they are written (the container adds the checksum).</summary>
    private static List<KeyValuePair<string, string>> Metadata(Model model, SavedTrainingState? training)
    {
        var metadata = new List<KeyValuePair<string, string>>
        {
            new("format", FormatMarker),
            new("format_version", FormatVersion),
            new("architecture", ModelJson.WriteArchitecture(model.InputLayerShape, model.Specs, [.. model.Layers.Select(l => l.Trainable)])),
        };
        if (model.Compilation is { } compile)
        {
            metadata.Add(new("compile", ModelJson.WriteCompile(compile)));
        }

        if (model.Preprocessing is { } preprocessing)
        {
            metadata.Add(new("preprocessing", ModelJson.WritePreprocessing(preprocessing)));
        }

        metadata.Add(new("class_names", ModelJson.WriteClassNames(model.ClassNames)));
        if (training is not null)
        {
            metadata.Add(new(SavedTrainingState.MetadataKey, training.ToJson()));
        }

        return metadata;
    }

    private static Tensor Find(LayerModule module, TensorSpec t) =>
        (t.Trainable ? module.get_parameter(t.Name) : module.get_buffer(t.Name))
        ?? throw new InvalidOperationException($"Layer '{module.GetName()}' has no tensor '{t.Name}'.");
}
