// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Encodings.Web;
using System.Text.Json;
using ConvViz.Imaging;
using ConvViz.Models.Layers;

namespace ConvViz.Models;

/// <summary>
/// Writes and strictly reads the JSON documents stored in a model file's metadata: architecture, compile options,
/// preprocessing and class names. Reading throws <see cref="InvalidDataException"/> naming the offending field.
/// </summary>
internal static class ModelJson
{
    public const int MaxLayers = 10_000;

    /// <summary>
    /// Writes the architecture document. A frozen layer (<paramref name="trainable"/>[i] false) gets <c>"trainable": false</c>;
    /// trainable layers store nothing, so the files of models without frozen layers stay as they were.
    /// </summary>
    public static string WriteArchitecture(LayerShape inputShape, IReadOnlyList<LayerSpec> layers, IReadOnlyList<bool>? trainable = null) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("input_shape");
        if (inputShape.IsSpatial)
        {
            w.WriteNumber("height", inputShape.Height);
            w.WriteNumber("width", inputShape.Width);
            w.WriteNumber("channels", inputShape.Channels);
        }
        else
        {
            // A model that takes vectors; image models keep the fields above, so their files stay as they were.
            w.WriteNumber("features", inputShape.Channels);
        }

        w.WriteEndObject();
        w.WriteStartArray("layers");
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            w.WriteStartObject();
            w.WriteString("type", layer.Options.TypeName);
            w.WriteString("name", layer.Name);
            layer.Options.WriteFields(new LayerWriter(w));
            if (trainable is not null && !trainable[i])
            {
                w.WriteBoolean("trainable", false);
            }

            // A layer that takes the previous one (or, first, the model's input) stores nothing: chain files stay as
            // they were. Any other layer lists its inputs by name, in order.
            if (layer.Inputs is not [var only] || only != i - 1)
            {
                w.WriteStartArray("inputs");
                foreach (var input in layer.Inputs)
                {
                    w.WriteStringValue(layers[input].Name);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>
    /// Rebuilds the layer graph from an architecture document (its <c>input_shape</c> is an image's height, width and
    /// channels, or a vector's <c>features</c>); every layer is validated by the graph builder itself. A
    /// layer without <c>inputs</c> takes the previous layer (the first one, the model's input); <c>inputs</c> names
    /// earlier layers. A layer with <c>"trainable": false</c> is marked frozen in the builder.
    /// </summary>
    public static LayerGraphBuilder ReadArchitecture(string json) => Read(json, "architecture", root =>
    {
        var input = Get(root, "input_shape", "architecture");
        var ctx = "architecture.input_shape";
        var shape = input.ValueKind == JsonValueKind.Object && input.TryGetProperty("features", out _)
            ? Guard(ctx, () => new LayerShape(Int(input, "features", ctx)))
            : Guard(ctx, () => new LayerShape(Int(input, "height", ctx), Int(input, "width", ctx), Int(input, "channels", ctx)));
        var builder = new LayerGraphBuilder(shape);
        var layers = Get(root, "layers", "architecture");
        if (layers.ValueKind != JsonValueKind.Array || layers.GetArrayLength() == 0)
        {
            throw Invalid("architecture.layers must be a non-empty array");
        }

        if (layers.GetArrayLength() > MaxLayers)
        {
            throw Invalid($"architecture.layers has {layers.GetArrayLength()} layers; at most {MaxLayers} are supported");
        }

        var index = 0;
        foreach (var layer in layers.EnumerateArray())
        {
            ctx = $"architecture.layers[{index}]";
            var type = String(layer, "type", ctx);
            var name = String(layer, "name", ctx);
            var layerContext = ctx;
            var options = Guard(ctx, () => LayerRegistry.Read(type, new LayerReader(layer, layerContext), layerContext) with { Name = name });
            var inputs = ReadInputs(builder, layer, index, ctx);
            Guard(ctx, () => builder.Add(options, inputs));
            if (layer.TryGetProperty("trainable", out _) && !Bool(layer, "trainable", ctx))
            {
                builder.Freeze(index);
            }

            index++;
        }

        Guard("architecture.layers", () =>
        {
            builder.ValidateConnected(builder.Count - 1);
            return builder;
        });
        return builder;
    });

    /// <summary>Reads a layer's <c>inputs</c> (names of earlier layers); without the field, the previous layer (or the model's input).</summary>
    private static int[] ReadInputs(LayerGraphBuilder builder, JsonElement layer, int index, string context)
    {
        if (!layer.TryGetProperty("inputs", out var inputs))
        {
            return [index - 1];
        }

        if (inputs.ValueKind != JsonValueKind.Array || inputs.GetArrayLength() == 0 || inputs.GetArrayLength() > MaxLayers)
        {
            throw Invalid($"{context}.inputs must be a non-empty array of layer names");
        }

        var result = new List<int>();
        foreach (var input in inputs.EnumerateArray())
        {
            var name = input.ValueKind == JsonValueKind.String ? input.GetString()! : throw Invalid($"{context}.inputs must contain layer names");
            var source = builder.IndexOf(name);
            if (source < 0)
            {
                throw Invalid(
                    $"{context}.inputs names '{name}', which is not an earlier layer: layers are stored in topological order, each after the layers it takes, " +
                    "so this is a cycle, a layer out of order, or a missing layer; the file is corrupt or was edited");
            }

            result.Add(source);
        }

        return [.. result];
    }

    public static string WriteCompile(CompileOptions options) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("loss", options.Loss.ToString());
        w.WriteStartArray("metrics");
        foreach (var metric in options.Metrics)
        {
            w.WriteStringValue(metric.ToString());
        }

        w.WriteEndArray();
        w.WriteString("precision", options.Precision.ToString());
        var o = options.Optimizer;
        w.WriteStartObject("optimizer");
        w.WriteString("kind", o.Kind.ToString());
        if (o.LearningRate is { } lr)
        {
            w.WriteNumber("learning_rate", lr);
        }
        else
        {
            w.WriteNull("learning_rate");
        }

        w.WriteNumber("beta1", o.Beta1);
        w.WriteNumber("beta2", o.Beta2);
        w.WriteNumber("epsilon", o.Epsilon);
        w.WriteNumber("momentum", o.Momentum);
        w.WriteBoolean("nesterov", o.Nesterov);
        w.WriteNumber("rho", o.Rho);
        w.WriteNumber("decay", o.Decay);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    public static CompileOptions ReadCompile(string json) => Read(json, "compile", root =>
    {
        const string ctx = "compile";
        var metricsElement = Get(root, "metrics", ctx);
        if (metricsElement.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("compile.metrics must be an array");
        }

        var metrics = new List<Metric>();
        foreach (var m in metricsElement.EnumerateArray())
        {
            metrics.Add(ParseEnum<Metric>(m, "compile.metrics[]"));
        }

        var o = Get(root, "optimizer", ctx);
        const string octx = "compile.optimizer";
        var optimizer = Guard(octx, () => new OptimizerOptions
        {
            Kind = Enum<OptimizerKind>(o, "kind", octx),
            LearningRate = NullableDouble(o, "learning_rate", octx),
            Beta1 = Double(o, "beta1", octx),
            Beta2 = Double(o, "beta2", octx),
            Epsilon = Double(o, "epsilon", octx),
            Momentum = Double(o, "momentum", octx),
            Nesterov = Bool(o, "nesterov", octx),
            Rho = Double(o, "rho", octx),
            Decay = Double(o, "decay", octx),
        });
        // Files written before mixed precision existed have no "precision": they trained in float32.
        var precision = root.TryGetProperty("precision", out _) ? Enum<Precision>(root, "precision", ctx) : Precision.Float32;
        return Guard(ctx, () => new CompileOptions { Loss = Enum<Loss>(root, "loss", ctx), Optimizer = optimizer, Metrics = metrics, Precision = precision });
    });

    public static string WritePreprocessing(ImagePreprocessing p) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("target_height", p.TargetHeight);
        w.WriteNumber("target_width", p.TargetWidth);
        w.WriteString("color_mode", p.ColorMode.ToString());
        w.WriteString("interpolation", p.Interpolation.ToString());
        if (p.Rescale is { } rescale)
        {
            w.WriteNumber("rescale", rescale);
        }
        else
        {
            w.WriteNull("rescale");
        }

        w.WriteBoolean("samplewise_center", p.SamplewiseCenter);
        w.WriteBoolean("samplewise_std_normalization", p.SamplewiseStdNormalization);
        WriteFloats(w, "featurewise_mean", p.FeaturewiseMean);
        WriteFloats(w, "featurewise_std", p.FeaturewiseStd);
        w.WriteEndObject();
    });

    public static ImagePreprocessing ReadPreprocessing(string json) => Read(json, "preprocessing", root =>
    {
        const string ctx = "preprocessing";
        return Guard(ctx, () => new ImagePreprocessing
        {
            TargetHeight = Int(root, "target_height", ctx),
            TargetWidth = Int(root, "target_width", ctx),
            ColorMode = Enum<ColorMode>(root, "color_mode", ctx),
            Interpolation = Enum<Interpolation>(root, "interpolation", ctx),
            // Files written before ImagePreprocessing refused 0 may store 0, which meant no rescaling (as Keras' rescale = 0).
            Rescale = NullableDouble(root, "rescale", ctx) is { } rescale && rescale != 0 ? rescale : null,
            SamplewiseCenter = Bool(root, "samplewise_center", ctx),
            SamplewiseStdNormalization = Bool(root, "samplewise_std_normalization", ctx),
            FeaturewiseMean = NullableFloats(root, "featurewise_mean", ctx),
            FeaturewiseStd = NullableFloats(root, "featurewise_std", ctx),
        });
    });

    public static string WriteClassNames(IReadOnlyList<string> names) => Write(w =>
    {
        w.WriteStartArray();
        foreach (var name in names)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
    });

    public static string[] ReadClassNames(string json) => Read(json, "class_names", root =>
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("class_names must be an array of strings");
        }

        return root.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Invalid("class_names must contain only strings"))
            .ToArray();
    });

    public static InvalidDataException Invalid(string reason, Exception? inner = null) => JsonFields.Invalid(reason, inner);

    public static JsonElement Get(JsonElement obj, string name, string context) => JsonFields.Get(obj, name, context);

    public static string String(JsonElement obj, string name, string context) => JsonFields.String(obj, name, context);

    private static T Guard<T>(string context, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException ex)
        {
            throw Invalid($"{context} is not valid: {ex.Message}", ex);
        }
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(writer);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static T Read<T>(string json, string what, Func<JsonElement, T> read)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw Invalid($"the {what} metadata is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            return read(document.RootElement);
        }
    }

    private static void WriteFloats(Utf8JsonWriter w, string name, IReadOnlyList<float>? values)
    {
        if (values is null)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    internal static int Int(JsonElement obj, string name, string context) => JsonFields.Int(obj, name, context);

    internal static double Double(JsonElement obj, string name, string context) => JsonFields.Double(obj, name, context);

    private static double? NullableDouble(JsonElement obj, string name, string context) =>
        Get(obj, name, context).ValueKind == JsonValueKind.Null ? null : Double(obj, name, context);

    internal static bool Bool(JsonElement obj, string name, string context) => JsonFields.Bool(obj, name, context);

    internal static T Enum<T>(JsonElement obj, string name, string context)
        where T : struct, Enum => JsonFields.Enum<T>(obj, name, context);

    private static T ParseEnum<T>(JsonElement e, string context)
        where T : struct, Enum => JsonFields.ParseEnum<T>(e, context);

    private static float[]? NullableFloats(JsonElement obj, string name, string context)
    {
        var e = Get(obj, name, context);
        if (e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() > 64)
        {
            throw Invalid($"{context}.{name} must be null or an array of at most 64 numbers");
        }

        return e.EnumerateArray()
            .Select(v => v.ValueKind == JsonValueKind.Number && v.TryGetSingle(out var f) && float.IsFinite(f) ? f : throw Invalid($"{context}.{name} must contain finite numbers"))
            .ToArray();
    }
}
