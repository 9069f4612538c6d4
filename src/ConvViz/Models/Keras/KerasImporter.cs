// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Models.Keras;

/// <summary>
/// Builds a ConvViz <see cref="Model"/> from a Keras HDF5 full-model file (Keras 2.x, or Keras 3's legacy <c>.h5</c>) or
/// a Keras 3 <c>.keras</c> archive (architecture through <see cref="LayerGraphBuilder"/>, keeping Keras' layer names),
/// and loads Keras weights onto a model, converting the layouts: HWIO convolution kernels to OIHW, [in, out] dense
/// kernels to [out, in], depthwise kernels [kh, kw, in, multiplier] to [in × multiplier, 1, kh, kw]. Both generations go
/// through the same <see cref="KerasModelConfig"/>, <see cref="KerasLayerMapper"/> and weight conversion.
/// </summary>
internal static class KerasImporter
{
    /// <summary>Reads a Keras HDF5 model from a seekable stream and builds the model with its weights.</summary>
    public static Model Load(Stream stream, string source, ModelLoadOptions options)
    {
        var content = KerasHdf5Reader.Read(stream, source, options.MaxHeaderBytes);
        if (content.ModelConfig is null)
        {
            throw new InvalidDataException(
                $"'{source}' is a Keras weights-only file (save_weights / save_model_weights_hdf5): it has no architecture. Build the model in ConvViz and call model.LoadWeights(path).");
        }

        var config = KerasModelConfig.Parse(content.ModelConfig, source);
        var model = Build(config, MajorVersion(content.KerasVersion), source);
        try
        {
            LoadWeights(model, content, source, byName: true, config.WeightGroups);
            ApplyCompileSettings(model, content.TrainingConfig, null, source, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>Reads a Keras 3 <c>.keras</c> archive from a seekable stream and builds the model with its weights.</summary>
    public static Model LoadArchive(Stream stream, string source, ModelLoadOptions options)
    {
        var content = KerasArchive.Read(stream, source, options);
        if (content.Weights is null)
        {
            throw new InvalidDataException(
                $"'{source}' is a .keras archive without a '{KerasArchive.WeightsEntry}' entry: it holds the architecture but no weights. Save the model again with model.save(\"x.keras\").");
        }

        var config = KerasModelConfig.Parse(content.Config, source, KerasArchive.ConfigEntry);
        var weights = ReadArchiveWeights(content.Weights, source);
        var model = Build(config, MajorVersion(content.KerasVersion ?? "3"), source);
        try
        {
            var paths = config.WeightPaths;
            LoadKeras3Weights(model, weights, source, (spec, _) => paths.TryGetValue(spec.Name, out var path) ? path : null);
            ApplyCompileSettings(model, content.Config, "compile_config", source, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>
    /// Compiles the model with the file's compile settings (Keras 2 <c>training_config</c>, or the
    /// <c>compile_config</c> member of a Keras 3 <c>config.json</c>) when every one of them has a ConvViz equivalent;
    /// otherwise logs why not and leaves the model uncompiled.
    /// </summary>
    private static void ApplyCompileSettings(Model model, string? json, string? member, string source, ModelLoadOptions options)
    {
        if (json is null)
        {
            return;
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json, new System.Text.Json.JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            if (member is not null && (root.ValueKind != System.Text.Json.JsonValueKind.Object || !root.TryGetProperty(member, out root) || root.ValueKind == System.Text.Json.JsonValueKind.Null))
            {
                return; // A Keras 3 model saved before compile.
            }

            var (compile, unmapped) = KerasTrainingConfig.Map(root);
            if (compile is null)
            {
                ModelLog.CompileSettingsNotImported(options.Logger, source, unmapped!);
                return;
            }

            model.Compile(compile);
            ModelLog.CompileSettingsImported(options.Logger, source, compile.Loss, compile.Optimizer.Kind);
        }
        catch (System.Text.Json.JsonException ex)
        {
            ModelLog.CompileSettingsNotImported(options.Logger, source, $"the compile settings are not valid JSON ({ex.Message})");
        }
    }

    /// <summary>
    /// Loads the weights of a Keras weights file onto <paramref name="model"/>: Keras 2 HDF5 (full-model or
    /// <c>save_weights</c>), Keras 3 <c>.weights.h5</c>, or the weights of a Keras 3 <c>.keras</c> archive.
    /// </summary>
    /// <param name="model">The model, which must have the architecture the weights were saved from.</param>
    /// <param name="stream">A seekable stream holding the file; not closed.</param>
    /// <param name="source">The file name for messages.</param>
    /// <param name="byName">Whether to match by layer name instead of by order.</param>
    /// <param name="options">The limits.</param>
    public static void LoadWeightsFile(Model model, Stream stream, string source, bool byName, ModelLoadOptions options)
    {
        var header = new byte[8];
        var read = stream.ReadAtLeast(header, 8, throwOnEndOfStream: false);
        stream.Position = 0;
        if (read >= 4 && KerasArchive.IsZip(header))
        {
            LoadArchiveWeights(model, stream, source, byName, options);
            return;
        }

        if (read < 8 || !KerasHdf5Reader.IsHdf5(header))
        {
            throw new InvalidDataException($"'{source}' is not a Keras weights file: it starts with neither the HDF5 signature nor a zip header (.keras).");
        }

        if (KerasHdf5Reader.IsKeras3Weights(stream, source))
        {
            var weights = KerasHdf5Reader.ReadKeras3Weights(stream, source);
            if (byName)
            {
                LoadKeras3Weights(model, weights, source, (spec, _) => FindGroupByName(weights, spec.Name, source));
                return;
            }

            // Keras 3 addresses a layer's variables by its class and its position among the model's layers of that
            // class (conv2d, conv2d_1, …), and so does this, from the ConvViz layers' types.
            var paths = new Dictionary<string, string>(StringComparer.Ordinal);
            var used = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var spec in model.Specs)
            {
                paths[spec.Name] = KerasModelConfig.NextWeightPath(used, spec.Options.TypeName, string.Empty);
            }

            LoadKeras3Weights(model, weights, source, (spec, _) => paths[spec.Name]);
            return;
        }

        var content = KerasHdf5Reader.Read(stream, source, options.MaxHeaderBytes);
        LoadWeights(model, content, source, byName);
    }

    private static void LoadArchiveWeights(Model model, Stream stream, string source, bool byName, ModelLoadOptions options)
    {
        var content = KerasArchive.Read(stream, source, options);
        if (content.Weights is null)
        {
            throw new InvalidDataException($"'{source}' is a .keras archive without a '{KerasArchive.WeightsEntry}' entry: it holds no weights.");
        }

        var config = KerasModelConfig.Parse(content.Config, source, KerasArchive.ConfigEntry);
        var weights = ReadArchiveWeights(content.Weights, source);
        var paths = config.WeightPaths;
        if (byName)
        {
            LoadKeras3Weights(model, weights, source, (spec, _) => paths.TryGetValue(spec.Name, out var path) ? path : null);
            return;
        }

        // As Keras 2's load_weights: the k-th layer with weights takes the k-th layer of the file with weights (in config.json's order).
        var withWeights = config.Layers.Where(l => weights.ByPath.TryGetValue(l.WeightPath, out var vars) && vars.Count > 0).ToList();
        var targets = model.Specs.Where(s => s.Tensors.Count > 0).ToList();
        if (withWeights.Count != targets.Count)
        {
            throw new InvalidDataException(
                $"'{source}' holds weights for {withWeights.Count} layers ({string.Join(", ", withWeights.Select(l => l.Name))}), but the model has {targets.Count} layers with weights " +
                $"({string.Join(", ", targets.Select(t => t.Name))}). Build the same architecture, or load by name.");
        }

        LoadKeras3Weights(model, weights, source, (_, k) => withWeights[k].WeightPath);
    }

    private static Keras3Weights ReadArchiveWeights(byte[] bytes, string source)
    {
        var weightsSource = $"{source}!{KerasArchive.WeightsEntry}";
        if (!KerasHdf5Reader.IsHdf5(bytes))
        {
            throw new InvalidDataException($"'{weightsSource}' is not an HDF5 file: it does not start with the HDF5 signature.");
        }

        // PureHDF needs a seekable stream: the entry was copied into memory within ModelLoadOptions' limits.
        using var memory = new MemoryStream(bytes, writable: false);
        return KerasHdf5Reader.ReadKeras3Weights(memory, weightsSource);
    }

    private static string FindGroupByName(Keras3Weights weights, string name, string source)
    {
        var matches = weights.ByPath.Keys.Where(p => p.EndsWith("/" + name, StringComparison.Ordinal)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new InvalidDataException(
                $"'{source}' has no layer group named '{name}'. Keras 3 names the groups of a weights file after the layer's class and position (conv2d, conv2d_1, …), not after the layer's name: load by order instead, or give the ConvViz layers those names."),
            _ => throw new InvalidDataException($"'{source}' has several layer groups named '{name}' ({string.Join(", ", matches)}): load by order instead."),
        };
    }

    /// <summary>
    /// Loads Keras 3 variables onto the layers with weights: <paramref name="pathOf"/> gives the file's group of a layer
    /// (given the layer and its position among the layers with weights), whose variables are named by the layer's
    /// known variable order (Keras 3 stores them by position only).
    /// </summary>
    private static void LoadKeras3Weights(Model model, Keras3Weights weights, string source, Func<LayerSpec, int, string?> pathOf)
    {
        var targets = model.Specs.Select((s, i) => (Spec: s, Index: i)).Where(t => t.Spec.Tensors.Count > 0).ToList();
        using var scope = NewDisposeScope();
        for (var k = 0; k < targets.Count; k++)
        {
            var (spec, index) = targets[k];
            var path = pathOf(spec, k);
            if (path is null || !weights.ByPath.TryGetValue(path, out var vars))
            {
                throw new InvalidDataException(
                    $"'{source}' has no weights for layer {index} '{spec.Name}' ({spec.Options.TypeName}){(path is null ? string.Empty : $": no group '{path}/vars'")}. Build the same architecture the file was saved from.");
            }

            var roles = Keras3VariableOrder(spec);
            if (vars.Count != roles.Count)
            {
                throw new InvalidDataException(
                    $"Layer '{spec.Name}' ({spec.Options.TypeName}) has {roles.Count} Keras variables ({string.Join(", ", roles)}), but '{source}' holds {vars.Count} in '{path}/vars'.");
            }

            Assign(model, index, spec, new KerasLayerWeights(path, [.. vars.Select((v, i) => v with { Role = roles[i] })]), source);
        }
    }

    /// <summary>
    /// Gets the names of a layer's Keras 3 variables in the order <c>save_own_variables</c> writes them (trainable ones,
    /// then non-trainable), only those the layer's flags create: Conv2D and Dense kernel, bias (<c>use_bias</c>);
    /// DepthwiseConv2D kernel, bias; SeparableConv2D depthwise kernel, pointwise kernel, bias; BatchNormalization gamma
    /// (<c>scale</c>), beta (<c>center</c>), moving mean, moving variance. Every ConvViz layer declares its tensors in
    /// exactly that order and with those flags (its <see cref="LayerSpec.Tensors"/>), so the layer itself is asked.
    /// </summary>
    internal static IReadOnlyList<string> Keras3VariableOrder(LayerSpec spec) => [.. spec.Tensors.Select(t => t.Name)];

    /// <summary>Builds the architecture (random weights).</summary>
    public static Model Build(KerasModelConfig config, int kerasMajor, string source)
    {
        // Every layer is mapped before the input is looked at, so that a model of unsupported layers (a 3-D network's
        // Conv3D on a (None, 48, 48, 48, 1) input) is refused naming the layer class, which is the real obstacle.
        var mapped = new LayerOptions[config.Layers.Count];
        for (var i = 0; i < mapped.Length; i++)
        {
            var node = config.Layers[i];
            try
            {
                mapped[i] = KerasLayerMapper.Map(node, kerasMajor, source);
            }
            catch (ArgumentException ex)
            {
                // An option ConvViz's own validation rejects (a zero kernel size, a negative rate, …).
                throw new InvalidDataException($"Layer '{node.Name}' ({KerasModelConfig.Truncate(node.ClassName)}) of '{source}' has an invalid option: {ex.Message}", ex);
            }
        }

        var shape = config.InputShape;
        if (shape.Length is not (1 or 3) || shape.Any(d => d <= 0))
        {
            throw new NotSupportedException(
                $"'{source}' has input shape (None, {string.Join(", ", shape.Select(d => d < 0 ? "None" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}): " +
                "ConvViz models take an image of fixed size (height, width, channels) or a vector of fixed length (features). " +
                "Give the model a fixed input size and save it again.");
        }

        // An image (height, width, channels), or a vector such as R keras' MNIST layer_dense(input_shape = c(784)).
        var builder = new LayerGraphBuilder(new LayerShape(shape));
        var indices = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < mapped.Length; i++)
        {
            var node = config.Layers[i];
            var options = mapped[i];
            List<int> inputs = [];
            if (node.Inbound.Count == 0)
            {
                inputs.Add(LayerGraphBuilder.ModelInput);
            }

            foreach (var name in node.Inbound)
            {
                inputs.Add(indices.TryGetValue(name, out var index)
                    ? index
                    : throw new InvalidDataException($"Layer '{node.Name}' in '{source}' takes the output of '{KerasModelConfig.Truncate(name)}', which is not an earlier layer (the file is corrupt or cyclic)."));
            }

            KerasLayerMapper.CheckAxis(node, builder.ShapeOf(inputs[0]).Dimensions.Count + 1, source);
            try
            {
                indices[node.Name] = builder.Add(options, inputs);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidDataException($"Layer '{node.Name}' ({node.ClassName}) of '{source}' does not fit its inputs: {ex.Message}", ex);
            }
        }

        try
        {
            builder.ValidateConnected(builder.Count - 1);
        }
        catch (ArgumentException ex)
        {
            throw new NotSupportedException($"'{source}' cannot be imported: {ex.Message}", ex);
        }

        return builder.Build(seed: 0);
    }

    /// <summary>Loads the weights of <paramref name="content"/> onto <paramref name="model"/>, by layer name or by the order of the layers that have weights (as Keras' <c>load_weights</c>).</summary>
    public static void LoadWeights(Model model, KerasHdf5Content content, string source, bool byName, IReadOnlyDictionary<string, string>? weightGroups = null)
    {
        var targets = model.Specs.Select((s, i) => (Spec: s, Index: i)).Where(t => t.Spec.Tensors.Count > 0).ToList();
        var groups = content.Layers.Where(l => l.Weights.Count > 0).ToList();
        var byLayerName = content.Layers.ToDictionary(l => l.LayerName, StringComparer.Ordinal);
        if (!byName && targets.Count != groups.Count)
        {
            throw new InvalidDataException(
                $"'{source}' holds weights for {groups.Count} layers ({string.Join(", ", groups.Select(g => g.LayerName))}), but the model has {targets.Count} layers with weights " +
                $"({string.Join(", ", targets.Select(t => t.Spec.Name))}). Build the same architecture, or load by name.");
        }

        using var scope = NewDisposeScope();
        for (var k = 0; k < targets.Count; k++)
        {
            var (spec, index) = targets[k];
            KerasLayerWeights group;
            if (byName)
            {
                if (weightGroups is not null && weightGroups.TryGetValue(spec.Name, out var nestedGroup) && byLayerName.TryGetValue(nestedGroup, out var nested))
                {
                    // Quirk 6: a nested model keeps all of its layers' weights in one group named after it, as "<layer>/<weight>:0"
                    // (Keras 3's legacy .h5: the variable's path, which may start with the model's name, "<model>/<layer>/<weight>").
                    group = new KerasLayerWeights(nestedGroup, [.. nested.Weights.Where(w =>
                        w.Name.StartsWith(spec.Name + "/", StringComparison.Ordinal) || w.Name.Contains("/" + spec.Name + "/", StringComparison.Ordinal))]);
                }
                else if (!byLayerName.TryGetValue(spec.Name, out group!))
                {
                    throw new InvalidDataException($"'{source}' has no weights for layer {index} '{spec.Name}' ({spec.Options.TypeName}).");
                }
            }
            else
            {
                group = groups[k];
            }

            Assign(model, index, spec, group, source);
        }
    }

    /// <summary>Sets the weights of one layer from its Keras group, matched by name or order and converted from Keras' layouts.</summary>
    private static void Assign(Model model, int index, LayerSpec spec, KerasLayerWeights group, string source)
    {
        var weights = Match(spec, group, source);
        for (var j = 0; j < spec.Tensors.Count; j++)
        {
            var target = spec.Tensors[j];
            using var converted = Convert(target, weights[j], spec, group, source);
            model.SetWeight(index, target.Name, converted);
        }
    }

    private static KerasWeight[] Match(LayerSpec spec, KerasLayerWeights group, string source)
    {
        if (group.Weights.Count != spec.Tensors.Count)
        {
            throw new InvalidDataException(
                $"Layer '{spec.Name}' ({spec.Options.TypeName}) has {spec.Tensors.Count} weights ({string.Join(", ", spec.Tensors.Select(t => t.Name))}), " +
                $"but '{source}' holds {group.Weights.Count} for '{group.LayerName}' ({string.Join(", ", group.Weights.Select(w => w.Name))}).");
        }

        // By short name (kernel, bias, gamma, …) when every name is there; otherwise in Keras' order, which ConvViz keeps.
        var byShortName = group.Weights.GroupBy(w => w.ShortName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        return spec.Tensors.All(t => byShortName.ContainsKey(t.Name))
            ? [.. spec.Tensors.Select(t => byShortName[t.Name])]
            : [.. group.Weights];
    }

    private static Tensor Convert(TensorSpec target, KerasWeight weight, LayerSpec spec, KerasLayerWeights group, string source)
    {
        var shape = weight.Shape.Select(d => (long)d).ToArray();
        using var raw = tensor(weight.Values, shape);
        // By the weight's name and rank, not the layer's type: every ConvViz layer names its tensors as Keras does.
        Tensor result = (target.Name, shape.Length) switch
        {
            ("kernel" or "pointwise_kernel", 4) => raw.permute(3, 2, 0, 1),
            ("kernel", 2) => raw.t(),
            ("depthwise_kernel", 4) => DepthwiseKernel(raw, shape),
            _ => raw.alias(),
        };

        if (!result.shape.SequenceEqual(target.Shape))
        {
            var message =
                $"Weight '{target.Name}' of layer '{spec.Name}' ({spec.Options.TypeName}) has shape [{string.Join(", ", target.Shape)}], " +
                $"but '{source}' holds '{weight.Name}' of layer '{group.LayerName}' with Keras shape [{string.Join(", ", weight.Shape)}] " +
                $"(converted: [{string.Join(", ", result.shape)}]).";
            result.Dispose();
            throw new InvalidDataException(message);
        }

        return result;
    }

    private static Tensor DepthwiseKernel(Tensor raw, long[] shape)
    {
        // Keras: [kh, kw, in, multiplier], output channel c·multiplier + m. ConvViz: [in·multiplier, 1, kh, kw].
        using var permuted = raw.permute(2, 3, 0, 1);
        return permuted.reshape(shape[2] * shape[3], 1, shape[0], shape[1]);
    }

    internal static int MajorVersion(string? version) =>
        version is { Length: > 0 } && char.IsAsciiDigit(version[0]) ? version[0] - '0' : 2;
}
