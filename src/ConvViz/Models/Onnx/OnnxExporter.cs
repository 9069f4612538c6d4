// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Reflection;
using System.Text.Json;
using ConvViz.Imaging;
using ConvViz.Models.Layers;
using Google.Protobuf;

namespace ConvViz.Models.Onnx;

/// <summary>
/// Writes a <see cref="Model"/> as an ONNX model: one mapping per layer type onto standard ONNX operators, values in
/// ConvViz's own layout (feature maps NCHW, flat values [N, features]), weights as float32 initializers.
/// </summary>
internal static class OnnxExporter
{
    /// <summary>The graph input's name.</summary>
    public const string InputName = "input";

    /// <summary>The first graph output's name: the model's output.</summary>
    public const string OutputName = "output";

    /// <summary>The symbolic batch dimension.</summary>
    public const string BatchDimension = "batch";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };

    /// <summary>Serialises <paramref name="model"/> to <paramref name="stream"/> (left open).</summary>
    public static void Write(ModelProto model, Stream stream)
    {
        using var output = new CodedOutputStream(stream, leaveOpen: true);
        model.WriteTo(output);
        output.Flush();
    }

    /// <summary>The lowest IR version that allows <paramref name="opset"/>.</summary>
    public static int IrVersionFor(int opset) => opset switch
    {
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

    public static ModelProto Build(Model model, OnnxExportOptions options)
    {
        var layers = model.Layers;
        var extra = ResolveExtraOutputs(model, options);
        if (options.IncludePreprocessing)
        {
            model.ThrowIfTakesVectors("OnnxExportOptions.IncludePreprocessing (image preprocessing)");
        }

        if (options.IncludePreprocessing && model.Preprocessing is null)
        {
            throw new InvalidOperationException(
                "OnnxExportOptions.IncludePreprocessing needs the model's Preprocessing, which is not set. Set model.Preprocessing to the steps it was trained with, or export without preprocessing nodes.");
        }

        var g = new OnnxGraph();
        g.Graph.Name = "convviz";
        var input = InputName;
        if (options.IncludePreprocessing)
        {
            input = Preprocess(g, model.Preprocessing!, input, options.Opset);
        }

        var values = new string[layers.Count];
        var writer = new OnnxLayerWriter(g, options.Opset, model.GetWeight);
        foreach (var layer in layers)
        {
            var inputs = layer.Inputs.Count == 0 ? [input] : layer.Inputs.Select(l => values[l.Index]).ToArray();
            if (layer.Options.IsModelInput || layer.Options.IsTrainingOnly)
            {
                // InputLayer passes the image on; a training-only layer (Dropout) is the identity at inference.
                values[layer.Index] = inputs[0];
                continue;
            }

            var first = g.NodeCount;
            writer.Layer = new LayerContext(layer.Index, layer.Name, layer.TypeName, layer.InputShape);
            writer.Output = layer.OutputShape;
            var produced = layer.Options.ToOnnx(writer, inputs);
            var name = ValueName(layer.Name);
            g.Name(layer.Name, produced, name, first);
            values[layer.Index] = name;
        }

        var inputDimensions = model.InputLayerShape.ToTorchShape(1).Skip(1).Select(d => (object)d).Prepend(BatchDimension).ToArray();
        g.Graph.Input.Add(OnnxGraph.FloatValue(InputName, inputDimensions));
        AddOutput(g, "output", values[^1], OutputName, layers[^1].OutputShape);
        foreach (var layer in extra)
        {
            var name = ValueName(layer.Name);
            AddOutput(g, layer.Name, values[layer.Index], name, layer.OutputShape);
        }

        var result = new ModelProto
        {
            IrVersion = IrVersionFor(options.Opset),
            ProducerName = "ConvViz",
            ProducerVersion = Version,
            Graph = g.Graph,
            DocString = $"Exported by ConvViz {Version}: input '{InputName}' float32 [batch, {string.Join(", ", model.InputLayerShape.ToTorchShape(1).Skip(1))}]"
                + (options.IncludePreprocessing ? ", raw 0-255 pixels (the preprocessing is in the graph)" : ", preprocessed as the model was trained") + ".",
        };
        result.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = options.Opset });
        AddMetadata(result, model, options);
        return result;
    }

    /// <summary>A layer's value name: its own name, unless that is the graph input's or output's.</summary>
    private static string ValueName(string layerName) => layerName is InputName or OutputName ? layerName + "/value" : layerName;

    private static List<LayerInfo> ResolveExtraOutputs(Model model, OnnxExportOptions options)
    {
        var result = new List<LayerInfo>();
        foreach (var name in options.ExtraOutputs)
        {
            var layer = model.ResolveLayer(name, nameof(options));
            if (result.Contains(layer))
            {
                throw new ArgumentException($"OnnxExportOptions.ExtraOutputs lists layer '{name}' twice.", nameof(options));
            }

            result.Add(layer);
        }

        return result;
    }

    private static void AddOutput(OnnxGraph g, string scope, string value, string name, LayerShape shape)
    {
        if (value != name)
        {
            g.Node(scope, "Identity", [value], name);
        }

        g.Graph.Output.Add(OnnxGraph.FloatValue(name, [BatchDimension, .. shape.ToTorchShape(1).Skip(1).Cast<object>()]));
    }

    private static string Version =>
        typeof(Model).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(Model).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    private static void AddMetadata(ModelProto result, Model model, OnnxExportOptions options)
    {
        void Add(string key, string value) => result.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });

        Add("convviz_version", Version);
        Add("class_names", JsonSerializer.Serialize(model.ClassNames, s_json));
        var shape = model.InputLayerShape;
        Add("input_shape", JsonSerializer.Serialize(
            shape.IsSpatial
                ? new Dictionary<string, object> { ["layout"] = "NCHW", ["height"] = shape.Height, ["width"] = shape.Width, ["channels"] = shape.Channels }
                : new Dictionary<string, object> { ["layout"] = "NC", ["features"] = shape.Channels },
            s_json));
        Add("preprocessing_in_graph", options.IncludePreprocessing ? "true" : "false");
        if (model.Preprocessing is { } p)
        {
            Add("preprocessing", JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["target_height"] = p.TargetHeight,
                ["target_width"] = p.TargetWidth,
                ["color_mode"] = p.ColorMode.ToString().ToLowerInvariant(),
                ["interpolation"] = p.Interpolation.ToString().ToLowerInvariant(),
                ["rescale"] = p.Rescale,
                ["samplewise_center"] = p.SamplewiseCenter,
                ["samplewise_std_normalization"] = p.SamplewiseStdNormalization,
                ["featurewise_mean"] = p.FeaturewiseMean,
                ["featurewise_std"] = p.FeaturewiseStd,
                ["epsilon"] = ImagePreprocessing.Epsilon,
            }, s_json));
        }
    }

    /// <summary>The steps of <see cref="ImagePreprocessing.Standardize"/> as nodes; returns the standardised value.</summary>
    private static string Preprocess(OnnxGraph g, ImagePreprocessing p, string x, int opset)
    {
        const string scope = "preprocessing";
        if (p.Rescale is { } rescale)
        {
            x = g.Node(scope, "Mul", [x, g.Scalar(scope, "rescale", (float)rescale)]);
        }

        if (p.SamplewiseCenter || p.SamplewiseStdNormalization)
        {
            x = g.Node(scope, "Sub", [x, ReduceMean(g, scope, x, opset)]);
        }

        if (p.SamplewiseStdNormalization)
        {
            // Population standard deviation over (C, H, W), as numpy's np.std: sqrt(mean((x - mean(x))²)).
            var centered = g.Node(scope, "Sub", [x, ReduceMean(g, scope, x, opset)]);
            var squares = g.Node(scope, "Mul", [centered, centered]);
            var std = g.Node(scope, "Sqrt", [ReduceMean(g, scope, squares, opset)]);
            var denominator = g.Node(scope, "Add", [std, g.Scalar(scope, "epsilon", (float)ImagePreprocessing.Epsilon)]);
            x = g.Node(scope, "Div", [x, denominator]);
        }

        if (p.FeaturewiseMean is { } mean)
        {
            x = g.Node(scope, "Sub", [x, g.Floats(scope, "featurewise_mean", mean.ToArray(), 1, mean.Count, 1, 1)]);
        }

        if (p.FeaturewiseStd is { } std2)
        {
            var denominator = std2.Select(s => s + (float)ImagePreprocessing.Epsilon).ToArray();
            x = g.Node(scope, "Div", [x, g.Floats(scope, "featurewise_std", denominator, 1, denominator.Length, 1, 1)]);
        }

        return x;
    }

    /// <summary>The mean over (C, H, W), kept as [N, 1, 1, 1]: axes are an attribute before opset 18 and an input from 18.</summary>
    private static string ReduceMean(OnnxGraph g, string scope, string x, int opset) => opset < 18
        ? g.Node(scope, "ReduceMean", [x], null, OnnxGraph.Ints("axes", 1, 2, 3), OnnxGraph.Int("keepdims", 1))
        : g.Node(scope, "ReduceMean", [x, g.Int64s(scope, "axes", 1, 2, 3)], null, OnnxGraph.Int("keepdims", 1));
}
