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
        var mapper = new LayerMapper(model, g);
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
            var produced = mapper.Map(layer, inputs);
            var name = ValueName(layer.Name);
            g.Name(layer.Name, produced, name, first);
            values[layer.Index] = name;
        }

        g.Graph.Input.Add(OnnxGraph.FloatValue(InputName, [BatchDimension, model.InputShape.Channels, model.InputShape.Height, model.InputShape.Width]));
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
            DocString = $"Exported by ConvViz {Version}: input '{InputName}' float32 [batch, {model.InputShape.Channels}, {model.InputShape.Height}, {model.InputShape.Width}]"
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
        var shape = model.InputShape;
        Add("input_shape", JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["layout"] = "NCHW",
            ["height"] = shape.Height,
            ["width"] = shape.Width,
            ["channels"] = shape.Channels,
        }, s_json));
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

    /// <summary>Maps one layer onto nodes.</summary>
    private sealed class LayerMapper(Model model, OnnxGraph g)
    {
        public string Map(LayerInfo layer, string[] inputs)
        {
            var scope = layer.Name;
            var x = inputs[0];
            switch (layer.Options)
            {
                case Conv2DOptions conv:
                    return Activate(scope, Convolution(layer, x, "kernel", conv.Groups, conv.KernelSize, conv.Strides, conv.DilationRate, conv.Padding, conv.ExplicitPadding, conv.UseBias), conv.Activation);
                case DepthwiseConv2DOptions depthwise:
                    return Activate(scope, Convolution(layer, x, "depthwise_kernel", layer.InputShape.Channels, depthwise.KernelSize, depthwise.Strides, depthwise.DilationRate, depthwise.Padding, depthwise.ExplicitPadding, depthwise.UseBias), depthwise.Activation);
                case SeparableConv2DOptions separable:
                    {
                        var depth = Convolution(layer, x, "depthwise_kernel", layer.InputShape.Channels, separable.KernelSize, separable.Strides, separable.DilationRate, separable.Padding, separable.ExplicitPadding, useBias: false);
                        var point = Convolution(layer, depth, "pointwise_kernel", 1, 1, 1, 1, Padding.Valid, null, separable.UseBias, windowInput: false);
                        return Activate(scope, point, separable.Activation);
                    }

                case DenseOptions dense:
                    {
                        List<string> gemmInputs = [x, Weight(layer, "kernel")];
                        if (dense.UseBias)
                        {
                            gemmInputs.Add(Weight(layer, "bias"));
                        }

                        return Activate(scope, g.Node(scope, "Gemm", gemmInputs, null, OnnxGraph.Int("transB", 1)), dense.Activation);
                    }

                case FlattenOptions:
                    if (!layer.InputShape.IsSpatial)
                    {
                        return x;
                    }

                    // Keras flattens channels-last: (H, W, C) order.
                    return g.Node(scope, "Flatten", [g.Node(scope, "Transpose", [x], null, OnnxGraph.Ints("perm", 0, 2, 3, 1))], null, OnnxGraph.Int("axis", 1));
                case MaxPooling2DOptions pool:
                    return Pool(layer, "MaxPool", x, pool);
                case AveragePooling2DOptions pool:
                    return Pool(layer, "AveragePool", x, pool);
                case GlobalAveragePooling2DOptions:
                    return g.Node(scope, "Flatten", [g.Node(scope, "GlobalAveragePool", [x])], null, OnnxGraph.Int("axis", 1));
                case GlobalMaxPooling2DOptions:
                    return g.Node(scope, "Flatten", [g.Node(scope, "GlobalMaxPool", [x])], null, OnnxGraph.Int("axis", 1));
                case BatchNormalizationOptions bn:
                    {
                        var channels = layer.InputShape.Channels;
                        var gamma = bn.Scale ? Weight(layer, "gamma") : g.Floats(scope, "gamma", Enumerable.Repeat(1f, channels).ToArray(), channels);
                        var beta = bn.Center ? Weight(layer, "beta") : g.Floats(scope, "beta", new float[channels], channels);
                        return g.Node(scope, "BatchNormalization", [x, gamma, beta, Weight(layer, "moving_mean"), Weight(layer, "moving_variance")], null, OnnxGraph.Float("epsilon", (float)bn.Epsilon));
                    }

                case ActivationOptions activation:
                    return Activate(scope, x, activation.Activation);
                case ReLUOptions relu:
                    return ReLU(scope, x, relu);
                case RescalingOptions rescaling:
                    {
                        var scaled = g.Node(scope, "Mul", [x, g.Scalar(scope, "scale", (float)rescaling.Scale)]);
                        return rescaling.Offset == 0 ? scaled : g.Node(scope, "Add", [scaled, g.Scalar(scope, "offset", (float)rescaling.Offset)]);
                    }

                case ReshapeOptions:
                    {
                        // Keras reshapes channels-last values: to NHWC, reshape, and back to NCHW for a feature map.
                        var nhwc = layer.InputShape.IsSpatial ? g.Node(scope, "Transpose", [x], null, OnnxGraph.Ints("perm", 0, 2, 3, 1)) : x;
                        long[] shape = [0, .. layer.OutputShape.Dimensions.Select(d => (long)d)];
                        var reshaped = g.Node(scope, "Reshape", [nhwc, g.Int64s(scope, "shape", shape)]);
                        return layer.OutputShape.IsSpatial ? g.Node(scope, "Transpose", [reshaped], null, OnnxGraph.Ints("perm", 0, 3, 1, 2)) : reshaped;
                    }

                case ZeroPadding2DOptions pad:
                    return g.Node(scope, "Pad", [x, g.Int64s(scope, "pads", 0, 0, pad.Top, pad.Left, 0, 0, pad.Bottom, pad.Right)]);
                case ConcatenateOptions:
                    return g.Node(scope, "Concat", inputs, null, OnnxGraph.Int("axis", 1));
                case SubtractOptions:
                    return g.Node(scope, "Sub", [inputs[0], inputs[1]]);
                case AddOptions:
                    return Chain(scope, "Add", inputs);
                case MultiplyOptions:
                    return Chain(scope, "Mul", inputs);
                case MaximumOptions:
                    return Chain(scope, "Max", inputs);
                case MinimumOptions:
                    return Chain(scope, "Min", inputs);
                case AverageOptions:
                    return g.Node(scope, "Div", [Chain(scope, "Add", inputs), g.Scalar(scope, "count", inputs.Length)]);
                default:
                    throw new NotSupportedException(
                        $"Layer {layer.Index} '{layer.Name}' ({layer.TypeName}) cannot be exported to ONNX: the exporter has no mapping for {layer.TypeName} layers yet.");
            }
        }

        /// <summary>A binary operator applied left to right, as ConvViz's merges compute (same float rounding).</summary>
        private string Chain(string scope, string op, IReadOnlyList<string> inputs)
        {
            var result = inputs[0];
            for (var i = 1; i < inputs.Count; i++)
            {
                result = g.Node(scope, op, [result, inputs[i]]);
            }

            return result;
        }

        private string Convolution(LayerInfo layer, string x, string kernelName, int groups, Size2D kernel, Size2D strides, Size2D dilation, Padding padding, Padding2D? explicitPadding, bool useBias, bool windowInput = true)
        {
            var pads = windowInput
                ? new LayerContext(layer.Index, layer.Name, layer.TypeName, layer.InputShape).Window(kernel, strides, dilation, padding, explicitPadding).Padding
                : default;
            List<string> inputs = [x, Weight(layer, kernelName)];
            if (useBias)
            {
                inputs.Add(Weight(layer, "bias"));
            }

            return g.Node(layer.Name, "Conv", inputs, null,
                OnnxGraph.Ints("kernel_shape", kernel.Height, kernel.Width),
                OnnxGraph.Ints("strides", strides.Height, strides.Width),
                OnnxGraph.Ints("dilations", dilation.Height, dilation.Width),
                OnnxGraph.Ints("pads", pads.Top, pads.Left, pads.Bottom, pads.Right),
                OnnxGraph.Int("group", groups));
        }

        private string Pool(LayerInfo layer, string op, string x, Pooling2DOptions pool)
        {
            var pads = new LayerContext(layer.Index, layer.Name, layer.TypeName, layer.InputShape).Window(pool.PoolSize, pool.EffectiveStrides, 1, pool.Padding, pool.ExplicitPadding).Padding;
            List<AttributeProto> attributes =
            [
                OnnxGraph.Ints("kernel_shape", pool.PoolSize.Height, pool.PoolSize.Width),
                OnnxGraph.Ints("strides", pool.EffectiveStrides.Height, pool.EffectiveStrides.Width),
                OnnxGraph.Ints("pads", pads.Top, pads.Left, pads.Bottom, pads.Right),
            ];
            if (op == "AveragePool")
            {
                // Keras averages over the real pixels of a window only ('same' padding is not counted).
                attributes.Add(OnnxGraph.Int("count_include_pad", 0));
            }

            return g.Node(layer.Name, op, [x], null, [.. attributes]);
        }

        private string ReLU(string scope, string x, ReLUOptions relu)
        {
            if (relu.NegativeSlope != 0 && relu.MaxValue is null && relu.Threshold == 0)
            {
                return g.Node(scope, "LeakyRelu", [x], null, OnnxGraph.Float("alpha", (float)relu.NegativeSlope));
            }

            string positive;
            if (relu.Threshold != 0)
            {
                var threshold = g.Scalar(scope, "threshold", (float)relu.Threshold);
                var above = g.Node(scope, "Cast", [g.Node(scope, "Greater", [x, threshold])], null, OnnxGraph.Int("to", (int)TensorProto.Types.DataType.Float));
                positive = g.Node(scope, "Mul", [x, above]);
            }
            else
            {
                positive = g.Node(scope, "Relu", [x]);
            }

            if (relu.MaxValue is { } cap)
            {
                positive = g.Node(scope, "Clip", [positive, g.Scalar(scope, "min", 0f), g.Scalar(scope, "max", (float)cap)]);
            }

            if (relu.NegativeSlope == 0)
            {
                return positive;
            }

            // positive − slope · max(threshold − x, 0)
            var below = g.Node(scope, "Relu", [g.Node(scope, "Sub", [g.Scalar(scope, "threshold", (float)relu.Threshold), x])]);
            var scaled = g.Node(scope, "Mul", [below, g.Scalar(scope, "slope", (float)relu.NegativeSlope)]);
            return g.Node(scope, "Sub", [positive, scaled]);
        }

        private string Activate(string scope, string x, Activation activation)
        {
            switch (activation)
            {
                case Activation.Linear:
                    return x;
                case Activation.ReLU:
                    return g.Node(scope, "Relu", [x]);
                case Activation.Sigmoid:
                    return g.Node(scope, "Sigmoid", [x]);
                case Activation.Softmax:
                    return g.Node(scope, "Softmax", [x], null, OnnxGraph.Int("axis", 1));
                case Activation.Tanh:
                    return g.Node(scope, "Tanh", [x]);
                case Activation.ELU:
                    return g.Node(scope, "Elu", [x], null, OnnxGraph.Float("alpha", 1f));
                case Activation.SELU:
                    return g.Node(scope, "Selu", [x]);
                case Activation.LeakyReLU:
                    return g.Node(scope, "LeakyRelu", [x], null, OnnxGraph.Float("alpha", (float)ActivationFunctions.LeakyReLUSlope));
                case Activation.Softplus:
                    return g.Node(scope, "Softplus", [x]);
                case Activation.ReLU6:
                    return g.Node(scope, "Clip", [x, g.Scalar(scope, "min", 0f), g.Scalar(scope, "max", 6f)]);
                case Activation.Swish:
                    return g.Node(scope, "Mul", [x, g.Node(scope, "Sigmoid", [x])]);
                case Activation.GELU:
                    {
                        // The exact GELU, x · ½ · (1 + erf(x / √2)), as libtorch's default (the Gelu operator needs opset 20).
                        var erf = g.Node(scope, "Erf", [g.Node(scope, "Mul", [x, g.Scalar(scope, "rsqrt2", (float)(1 / Math.Sqrt(2)))])]);
                        var onePlus = g.Node(scope, "Add", [erf, g.Scalar(scope, "one", 1f)]);
                        return g.Node(scope, "Mul", [g.Node(scope, "Mul", [x, g.Scalar(scope, "half", 0.5f)]), onePlus]);
                    }

                case Activation.HardSigmoid:
                    return g.Node(scope, "HardSigmoid", [x], null, OnnxGraph.Float("alpha", 0.2f), OnnxGraph.Float("beta", 0.5f));
                default:
                    throw new NotSupportedException($"Layer '{scope}': activation {activation} cannot be exported to ONNX: the exporter has no mapping for it.");
            }
        }

        /// <summary>Adds one of the layer's weights (TorchSharp layout, float32) as an initializer named <c>layer.weight</c>.</summary>
        private string Weight(LayerInfo layer, string name)
        {
            using var tensor = model.GetWeight(layer.Index, name);
            using var cpu = tensor.device_type == TorchSharp.DeviceType.CPU ? tensor.alias() : tensor.cpu();
            var values = cpu.data<float>().ToArray();
            g.Floats(layer.Name, name, values, cpu.shape);

            // Named as in the safetensors file ('.' is not allowed in layer names, so it cannot clash).
            var initializer = g.Graph.Initializer[^1];
            initializer.Name = $"{layer.Name}.{name}";
            return initializer.Name;
        }
    }
}
