// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Json;
using ConvViz.Models.Layers;

namespace ConvViz.Models.Keras;

/// <summary>One Keras layer of a model configuration: its name, class, config object and the names of the layers it takes (empty for the model input).</summary>
/// <remarks>
/// <see cref="WeightGroup"/> names the Keras 2 HDF5 group holding the layer's weights when it is not the layer's own: the
/// outermost nested model's name (quirk 6). <see cref="WeightPath"/> is the layer's group in a Keras 3 weights file
/// (<c>layers/conv2d_1</c>, <c>layers/functional/layers/conv2d</c>): Keras 3 names it after the layer's class and its
/// position among the layers of that class in its model, not after the layer's name.
/// </remarks>
internal sealed record KerasLayerNode(string Name, string ClassName, JsonElement Config, IReadOnlyList<string> Inbound, string? WeightGroup = null, string WeightPath = "");

/// <summary>
/// A parsed Keras <c>model_config</c>: the layers in topological order and the input shape (batch axis removed,
/// <see langword="null"/> entries kept as −1). Parses Keras ≤ 2.2 Sequential (config is a list), Keras 2.2.4+ / tf.keras
/// Sequential (config is a dict with <c>layers</c>), functional <c>Model</c> / <c>Functional</c> with
/// <c>inbound_nodes</c> in Keras 2 form (<c>[[["name", 0, 0, {}]]]</c>) and Keras 3 form (<c>__keras_tensor__</c>).
/// </summary>
internal sealed record KerasModelConfig(string ModelName, bool IsFunctional, int[] InputShape, IReadOnlyList<KerasLayerNode> Layers)
{
    private const int MaxDepth = 64;
    private const int MaxNesting = 8;

    /// <summary>Parses a <c>model_config</c> JSON document (Keras 2 or 3), or a Keras 3 <c>config.json</c>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">The file name for messages.</param>
    /// <param name="what">What the JSON is called in messages (<c>model_config</c>, <c>config.json</c>).</param>
    /// <exception cref="InvalidDataException">The JSON is malformed, too deep or not a Keras model.</exception>
    /// <exception cref="NotSupportedException">The model uses something ConvViz cannot represent (shared layers, several inputs or outputs, custom objects).</exception>
    public static KerasModelConfig Parse(string json, string source, string what = "model_config")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The '{what}' of '{source}' is not valid JSON (or nests deeper than {MaxDepth}): {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, "the model config is not an object");
            }

            var className = GetString(root, "class_name", source) ?? throw Invalid(source, "the model config has no 'class_name'");
            if (!root.TryGetProperty("config", out var config))
            {
                throw Invalid(source, "the model config has no 'config'");
            }

            CheckKerasOrigin(root, "The model", className, source);

            // Clone: the elements must outlive the document.
            config = config.Clone();
            return ParseModel(className, config, source, 0, string.Empty);
        }
    }

    /// <summary>Gets the HDF5 weight group of every layer whose weights are not in a group of its own name (layers of nested models).</summary>
    public IReadOnlyDictionary<string, string> WeightGroups =>
        Layers.Where(l => l.WeightGroup is not null).ToDictionary(l => l.Name, l => l.WeightGroup!, StringComparer.Ordinal);

    /// <summary>Gets every layer's group in a Keras 3 weights file (<see cref="KerasLayerNode.WeightPath"/>), by layer name.</summary>
    public IReadOnlyDictionary<string, string> WeightPaths =>
        Layers.ToDictionary(l => l.Name, l => l.WeightPath, StringComparer.Ordinal);

    /// <summary>
    /// Converts a class name to the snake case Keras 3 names weight groups with (<c>Conv2D</c> → <c>conv2d</c>,
    /// <c>BatchNormalization</c> → <c>batch_normalization</c>, <c>ReLU</c> → <c>re_lu</c>).
    /// </summary>
    internal static string ToSnakeCase(string className)
    {
        var name = System.Text.RegularExpressions.Regex.Replace(className, @"[^\w]+", string.Empty);
        name = System.Text.RegularExpressions.Regex.Replace(name, "(.)([A-Z][a-z]+)", "$1_$2");
        return System.Text.RegularExpressions.Regex.Replace(name, "([a-z])([A-Z])", "$1_$2").ToLowerInvariant();
    }

    /// <summary>Gives the next Keras 3 weight path of a layer of <paramref name="className"/> in a model whose counts are <paramref name="used"/>.</summary>
    internal static string NextWeightPath(Dictionary<string, int> used, string className, string prefix)
    {
        var name = ToSnakeCase(className);
        if (used.TryGetValue(name, out var count))
        {
            used[name] = ++count;
            name = $"{name}_{count.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }
        else
        {
            used[name] = 0;
        }

        return $"{prefix}layers/{name}";
    }
    private static bool IsModelClass(string className) => className is "Sequential" or "Model" or "Functional";

    private static KerasModelConfig ParseModel(string className, JsonElement config, string source, int nesting, string pathPrefix)
    {
        if (nesting > MaxNesting)
        {
            throw Invalid(source, $"models are nested more than {MaxNesting} deep");
        }

        return className switch
        {
            "Sequential" => ParseSequential(config, source, nesting, pathPrefix),
            "Model" or "Functional" => ParseFunctional(config, source, nesting, pathPrefix),
            _ => throw new NotSupportedException(
                $"'{source}' holds a Keras model of class '{Truncate(className)}'; ConvViz reads Sequential, Model and Functional models. Subclassed models cannot be read from a file."),
        };
    }

    /// <summary>
    /// Adds a nested model's layers (without its input layer) after <paramref name="inbound"/>, their weights in the
    /// group named after the nested model; returns the name of its output layer.
    /// </summary>
    private static string Inline(string innerName, string innerClass, JsonElement innerConfig, IReadOnlyList<string> inbound, List<KerasLayerNode> nodes, string source, int nesting, string innerPath)
    {
        var inner = ParseModel(innerClass, innerConfig, source, nesting + 1, innerPath + "/");
        var inputs = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var n in inner.Layers)
        {
            if (n.ClassName == "InputLayer")
            {
                inputs[n.Name] = inbound;
                continue;
            }

            var mapped = n.Inbound.Count == 0 ? inbound : [.. n.Inbound.SelectMany(i => inputs.TryGetValue(i, out var m) ? m : [i])];
            nodes.Add(n with { Inbound = mapped, WeightGroup = innerName });
        }

        return nodes[^1].Name;
    }

    private static KerasModelConfig ParseSequential(JsonElement config, string source, int nesting, string pathPrefix)
    {
        JsonElement layers;
        string name = "sequential";
        if (config.ValueKind == JsonValueKind.Array)
        {
            layers = config;
        }
        else if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("layers", out layers) && layers.ValueKind == JsonValueKind.Array)
        {
            name = GetString(config, "name", source) ?? name;
        }
        else
        {
            throw Invalid(source, "the Sequential config is neither a list of layers nor an object with 'layers'");
        }

        var nodes = new List<KerasLayerNode>();
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        int[]? inputShape = null;
        string? previous = null;
        foreach (var layer in layers.EnumerateArray())
        {
            var (layerName, layerClass, layerConfig) = ReadLayer(layer, source, nodes.Count);
            var path = NextWeightPath(used, layerClass, pathPrefix);
            if (IsModelClass(layerClass))
            {
                inputShape ??= ParseModel(layerClass, layerConfig, source, nesting + 1, path + "/").InputShape;
                previous = Inline(layerName, layerClass, layerConfig, previous is null ? [] : [previous], nodes, source, nesting, path);
                continue;
            }

            inputShape ??= BatchShape(layerConfig);
            if (layerClass == "InputLayer")
            {
                if (nodes.Count > 0)
                {
                    throw Invalid(source, $"layer '{layerName}' is an InputLayer after other layers");
                }

                continue;
            }

            nodes.Add(new KerasLayerNode(layerName, layerClass, layerConfig, previous is null ? [] : [previous], WeightPath: path));
            previous = layerName;
        }

        if (nodes.Count == 0)
        {
            throw Invalid(source, "the Sequential model has no layers");
        }

        return new KerasModelConfig(name, false, inputShape ?? throw new NotSupportedException(
            $"'{source}' is a Sequential model without an input shape (its first layer has no 'batch_input_shape'): Keras built it lazily. Give the first layer an input_shape and save it again."), nodes);
    }

    private static KerasModelConfig ParseFunctional(JsonElement config, string source, int nesting, string pathPrefix)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(source, "the functional config has no 'layers' list");
        }

        var name = GetString(config, "name", source) ?? "model";
        CheckSingle(config, "input_layers", source);
        var output = CheckSingle(config, "output_layers", source);
        var nodes = new List<KerasLayerNode>();
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        int[]? inputShape = null;
        foreach (var layer in layers.EnumerateArray())
        {
            var (layerName, layerClass, layerConfig) = ReadLayer(layer, source, nodes.Count);
            var path = NextWeightPath(used, layerClass, pathPrefix);
            var inbound = new List<string>();
            if (layer.TryGetProperty("inbound_nodes", out var inboundNodes) && inboundNodes.ValueKind == JsonValueKind.Array)
            {
                var count = inboundNodes.GetArrayLength();
                if (count > 1)
                {
                    throw new NotSupportedException(
                        $"Layer '{layerName}' ({layerClass}) in '{source}' is called {count} times (a shared layer); ConvViz gives every layer one set of inputs.");
                }

                if (count == 1)
                {
                    CollectInbound(inboundNodes[0], inbound, source, layerName);
                }
            }

            inbound = [.. inbound.Select(n => aliases.TryGetValue(n, out var a) ? a : n)];
            if (IsModelClass(layerClass))
            {
                aliases[layerName] = Inline(layerName, layerClass, layerConfig, inbound, nodes, source, nesting, path);
                continue;
            }

            if (layerClass == "InputLayer")
            {
                inputShape = BatchShape(layerConfig) ?? throw Invalid(source, $"input layer '{layerName}' has no 'batch_input_shape' or 'batch_shape'");
            }
            else if (inbound.Count == 0)
            {
                throw Invalid(source, $"layer '{layerName}' ({layerClass}) has no inbound nodes");
            }

            nodes.Add(new KerasLayerNode(layerName, layerClass, layerConfig, inbound, WeightPath: path));
        }

        if (inputShape is null)
        {
            throw Invalid(source, "the functional model has no InputLayer");
        }

        if (output is not null && aliases.TryGetValue(output, out var aliased))
        {
            output = aliased;
        }

        if (output is not null && nodes[^1].Name != output)
        {
            throw new NotSupportedException($"The output layer '{output}' of '{source}' is not its last layer; ConvViz needs the output last.");
        }

        return new KerasModelConfig(name, true, inputShape, nodes);
    }

    private static void CollectInbound(JsonElement node, List<string> names, string source, string layer)
    {
        if (node.ValueKind == JsonValueKind.Array)
        {
            // Keras 2: [["name", node_index, tensor_index, {kwargs}], ...]
            foreach (var entry in node.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() < 3 || entry[0].ValueKind != JsonValueKind.String)
                {
                    throw Invalid(source, $"an inbound node of layer '{layer}' is not [name, node, tensor, kwargs]");
                }

                if (entry[1].ValueKind != JsonValueKind.Number || entry[1].GetInt32() != 0 || entry[2].GetInt32() != 0)
                {
                    throw new NotSupportedException($"Layer '{layer}' in '{source}' takes output [{entry[1]}][{entry[2]}] of '{entry[0].GetString()}': a shared layer or a layer with several outputs, which ConvViz does not support.");
                }

                if (entry.GetArrayLength() > 3 && entry[3].ValueKind == JsonValueKind.Object && entry[3].EnumerateObject().Any())
                {
                    throw new NotSupportedException($"Layer '{layer}' in '{source}' is called with keyword arguments ({entry[3].GetRawText()}), which ConvViz does not support.");
                }

                names.Add(entry[0].GetString()!);
            }
        }
        else if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("args", out var args))
        {
            // Keras 3: {"args": [tensor or [tensors]], "kwargs": {}}
            foreach (var arg in args.EnumerateArray())
            {
                CollectKeras3Tensors(arg, names, source, layer);
            }
        }
        else
        {
            throw Invalid(source, $"the inbound node of layer '{layer}' has an unknown form");
        }
    }

    private static void CollectKeras3Tensors(JsonElement arg, List<string> names, string source, string layer)
    {
        if (arg.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in arg.EnumerateArray())
            {
                CollectKeras3Tensors(item, names, source, layer);
            }

            return;
        }

        if (arg.ValueKind == JsonValueKind.Object && GetString(arg, "class_name", source) == "__keras_tensor__" &&
            arg.TryGetProperty("config", out var config) && config.TryGetProperty("keras_history", out var history) &&
            history.ValueKind == JsonValueKind.Array && history.GetArrayLength() >= 1 && history[0].ValueKind == JsonValueKind.String)
        {
            names.Add(history[0].GetString()!);
            return;
        }

        throw new NotSupportedException($"Layer '{layer}' in '{source}' takes an argument that is not a tensor ({Truncate(arg.GetRawText())}); ConvViz does not support it.");
    }

    private static string? CheckSingle(JsonElement config, string property, string source)
    {
        if (!config.TryGetProperty(property, out var list))
        {
            return null;
        }

        // Keras 2: [["name", 0, 0]]; Keras 3 may also write ["name", 0, 0] for a single tensor.
        if (list.ValueKind == JsonValueKind.Array && list.GetArrayLength() >= 1 && list[0].ValueKind == JsonValueKind.String)
        {
            return list[0].GetString();
        }

        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() != 1)
        {
            throw new NotSupportedException($"'{source}' has {(list.ValueKind == JsonValueKind.Array ? list.GetArrayLength() : 0)} {property.Replace("_layers", "s", StringComparison.Ordinal)}; ConvViz models have one input and one output.");
        }

        var entry = list[0];
        return entry.ValueKind == JsonValueKind.Array && entry.GetArrayLength() >= 1 && entry[0].ValueKind == JsonValueKind.String
            ? entry[0].GetString()
            : throw Invalid(source, $"'{property}' is not a list of [name, node, tensor]");
    }

    private static (string Name, string ClassName, JsonElement Config) ReadLayer(JsonElement layer, string source, int index)
    {
        if (layer.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, $"layer {index} is not an object");
        }

        var className = GetString(layer, "class_name", source) ?? throw Invalid(source, $"layer {index} has no 'class_name'");
        if (!layer.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, $"layer {index} ({Truncate(className)}) has no 'config' object");
        }

        var name = GetString(layer, "name", source) ?? GetString(config, "name", source) ?? throw Invalid(source, $"layer {index} ({Truncate(className)}) has no name");
        if (!LayerNames.IsValid(name))
        {
            throw new InvalidDataException(
                $"Layer {index} ({Truncate(className)}) of '{source}' is named '{Truncate(name)}', which is not a valid layer name: ConvViz accepts 1–{LayerNames.MaxLength} ASCII letters, digits, '_' or '-', starting with a letter.");
        }

        CheckKerasOrigin(layer, $"Layer '{name}'", className, source);
        return (name, className, config);
    }

    /// <summary>
    /// Refuses a Keras 3 object that does not come from Keras itself: a <c>module</c> outside <c>keras</c>, or a
    /// <c>registered_name</c> other than the class name (a class registered with <c>register_keras_serializable</c>),
    /// anywhere in the entry (the layer, its initializers, activations, dtype policies). ConvViz never loads such
    /// objects: Keras would import and run their Python code.
    /// </summary>
    private static void CheckKerasOrigin(JsonElement entry, string what, string className, string source)
    {
        if (FindCustomObject(entry, 0) is { } custom)
        {
            throw new NotSupportedException(
                $"{what} of class '{Truncate(className)}' in '{source}' uses a custom object ({custom}): ConvViz reads only Keras' own classes and never loads code from a model file.");
        }
    }

    private static string? FindCustomObject(JsonElement element, int depth)
    {
        if (depth > MaxDepth)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (FindCustomObject(item, depth + 1) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (element.TryGetProperty("class_name", out var classProperty) && classProperty.ValueKind == JsonValueKind.String)
        {
            var className = classProperty.GetString()!;
            if (element.TryGetProperty("module", out var module) && module.ValueKind != JsonValueKind.Null &&
                (module.ValueKind != JsonValueKind.String || !IsKerasModule(module.GetString()!)))
            {
                return $"class '{Truncate(className)}' from module {Describe(module)}";
            }

            if (element.TryGetProperty("registered_name", out var registered) && registered.ValueKind != JsonValueKind.Null &&
                (registered.ValueKind != JsonValueKind.String || registered.GetString() != className))
            {
                return $"class '{Truncate(className)}' registered as {Describe(registered)}";
            }
        }

        foreach (var property in element.EnumerateObject())
        {
            // The tensors of a functional model's calls are described, not instantiated; the layers of a model are checked one by one.
            if (property.Name is "inbound_nodes" or "build_config" or "layers")
            {
                continue;
            }

            if (FindCustomObject(property.Value, depth + 1) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string Describe(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? $"'{Truncate(value.GetString()!)}'" : Truncate(value.GetRawText());

    private static bool IsKerasModule(string module) => module == "keras" || module.StartsWith("keras.", StringComparison.Ordinal);

    private static int[]? BatchShape(JsonElement config)
    {
        if (!(config.TryGetProperty("batch_input_shape", out var shape) || config.TryGetProperty("batch_shape", out shape)) || shape.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        return [.. shape.EnumerateArray().Skip(1).Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out var v) ? v : -1)];
    }

    internal static string? GetString(JsonElement element, string property, string source)
    {
        if (!element.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Invalid(source, $"'{property}' is not a string");
    }

    internal static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    private static InvalidDataException Invalid(string source, string problem) => new($"'{source}' is not a valid Keras model: {problem}.");
}
