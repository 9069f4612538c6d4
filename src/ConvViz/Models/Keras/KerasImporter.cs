// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Models.Keras;

/// <summary>
/// Builds a ConvViz <see cref="Model"/> from a Keras 2.x HDF5 full-model file (architecture through
/// <see cref="LayerGraphBuilder"/>, keeping Keras' layer names), and loads Keras weights onto a model, converting the
/// layouts: HWIO convolution kernels to OIHW, [in, out] dense kernels to [out, in], depthwise kernels
/// [kh, kw, in, multiplier] to [in × multiplier, 1, kh, kw].
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
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>Builds the architecture (random weights).</summary>
    public static Model Build(KerasModelConfig config, int kerasMajor, string source)
    {
        var shape = config.InputShape;
        if (shape.Length != 3 || shape.Any(d => d <= 0))
        {
            throw new NotSupportedException(
                $"'{source}' has input shape (None, {string.Join(", ", shape.Select(d => d < 0 ? "None" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}): " +
                "ConvViz models take an image input of fixed size (height, width, channels). " +
                (shape.Length == 1 ? "A vector input (such as R keras' MNIST layer_dense(input_shape = c(784))) is not representable yet: ImageShape has no rank-1 form." : "Give the model a fixed input size and save it again."));
        }

        var builder = new LayerGraphBuilder(new ImageShape(shape[0], shape[1], shape[2]));
        var indices = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in config.Layers)
        {
            LayerOptions options;
            try
            {
                options = KerasLayerMapper.Map(node, kerasMajor, source);
            }
            catch (ArgumentException ex)
            {
                // An option ConvViz's own validation rejects (a zero kernel size, a negative rate, …).
                throw new InvalidDataException($"Layer '{node.Name}' ({KerasModelConfig.Truncate(node.ClassName)}) of '{source}' has an invalid option: {ex.Message}", ex);
            }

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
                    // Quirk 6: a nested model keeps all of its layers' weights in one group named after it, as "<layer>/<weight>:0".
                    group = new KerasLayerWeights(nestedGroup, [.. nested.Weights.Where(w => w.Name.StartsWith(spec.Name + "/", StringComparison.Ordinal))]);
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

            var weights = Match(spec, group, source);
            for (var j = 0; j < spec.Tensors.Count; j++)
            {
                var target = spec.Tensors[j];
                var weight = weights[j];
                using var converted = Convert(target, weight, spec, group, source);
                model.SetWeight(index, target.Name, converted);
            }
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
