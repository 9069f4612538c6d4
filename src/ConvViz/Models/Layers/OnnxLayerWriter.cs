// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// What a layer's <see cref="LayerOptions.ToOnnx"/> writes with: nodes and constants scoped to the current layer, its
/// weights as initializers, and the pieces several layer types share (activations, convolutions, windows). Values are
/// in ConvViz's layout: feature maps NCHW, flat values [N, features]. The exporter supplies the graph and the weights.
/// </summary>
/// <param name="graph">The graph being written.</param>
/// <param name="opset">The opset being written.</param>
/// <param name="weight">Reads a layer's weight by layer index and weight name (TorchSharp layout); the writer disposes it.</param>
internal sealed class OnnxLayerWriter(OnnxGraph graph, int opset, Func<int, string, Tensor> weight)
{
    /// <summary>Gets the opset being written.</summary>
    public int Opset => opset;

    /// <summary>Gets or sets the layer being written: its index, name, type and input shapes.</summary>
    public LayerContext Layer { get; set; } = null!;

    /// <summary>Gets or sets the output shape of the layer being written.</summary>
    public LayerShape Output { get; set; } = null!;

    /// <summary>Adds a node of the current layer and returns its output's name.</summary>
    public string Node(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) => graph.Node(Layer.Name, opType, inputs, null, attributes);

    /// <summary>Adds a float32 scalar constant.</summary>
    public string Scalar(string what, float value) => graph.Scalar(Layer.Name, what, value);

    /// <summary>Adds a float32 constant of the given shape.</summary>
    public string Floats(string what, float[] values, params long[] dims) => graph.Floats(Layer.Name, what, values, dims);

    /// <summary>Adds an int64 vector constant.</summary>
    public string Int64s(string what, params long[] values) => graph.Int64s(Layer.Name, what, values);

    /// <summary>A binary operator applied left to right, as ConvViz's merges compute (same float rounding).</summary>
    public string Chain(string opType, IReadOnlyList<string> inputs)
    {
        var result = inputs[0];
        for (var i = 1; i < inputs.Count; i++)
        {
            result = Node(opType, [result, inputs[i]]);
        }

        return result;
    }

    /// <summary>Transposes NCHW to NHWC (Keras' order, for Flatten and Reshape).</summary>
    public string ToChannelsLast(string x) => Node("Transpose", [x], OnnxGraph.Ints("perm", 0, 2, 3, 1));

    /// <summary>Transposes NHWC back to NCHW.</summary>
    public string ToChannelsFirst(string x) => Node("Transpose", [x], OnnxGraph.Ints("perm", 0, 3, 1, 2));

    /// <summary>A convolution with the layer's weight <paramref name="kernelName"/> (TorchSharp's [out, in / groups, kh, kw] is ONNX's layout) and TensorFlow's padding.</summary>
    public string Convolution(string x, string kernelName, int groups, Size2D kernel, Size2D strides, Size2D dilation, Padding padding, Padding2D? explicitPadding, bool useBias, bool pointwise = false)
    {
        var pads = pointwise ? default : WindowPadding(kernel, strides, dilation, padding, explicitPadding);
        List<string> inputs = [x, Weight(kernelName)];
        if (useBias)
        {
            inputs.Add(Weight("bias"));
        }

        return Node("Conv", inputs,
            OnnxGraph.Ints("kernel_shape", kernel.Height, kernel.Width),
            OnnxGraph.Ints("strides", strides.Height, strides.Width),
            OnnxGraph.Ints("dilations", dilation.Height, dilation.Width),
            OnnxGraph.Ints("pads", pads.Top, pads.Left, pads.Bottom, pads.Right),
            OnnxGraph.Int("group", groups));
    }

    /// <summary>A pooling window (MaxPool pads act as −inf; AveragePool counts only real pixels, as Keras).</summary>
    public string Pool(string opType, string x, Pooling2DOptions pool)
    {
        var pads = WindowPadding(pool.PoolSize, pool.EffectiveStrides, 1, pool.Padding, pool.ExplicitPadding);
        List<AttributeProto> attributes =
        [
            OnnxGraph.Ints("kernel_shape", pool.PoolSize.Height, pool.PoolSize.Width),
            OnnxGraph.Ints("strides", pool.EffectiveStrides.Height, pool.EffectiveStrides.Width),
            OnnxGraph.Ints("pads", pads.Top, pads.Left, pads.Bottom, pads.Right),
        ];
        if (opType == "AveragePool")
        {
            attributes.Add(OnnxGraph.Int("count_include_pad", 0));
        }

        return Node(opType, [x], [.. attributes]);
    }

    /// <summary>Applies a fused or standalone activation.</summary>
    public string Activate(string x, Activation activation)
    {
        switch (activation)
        {
            case Activation.Linear:
                return x;
            case Activation.ReLU:
                return Node("Relu", [x]);
            case Activation.Sigmoid:
                return Node("Sigmoid", [x]);
            case Activation.Softmax:
                return Node("Softmax", [x], OnnxGraph.Int("axis", 1));
            case Activation.Tanh:
                return Node("Tanh", [x]);
            case Activation.ELU:
                return Node("Elu", [x], OnnxGraph.Float("alpha", 1f));
            case Activation.SELU:
                return Node("Selu", [x]);
            case Activation.LeakyReLU:
                return Node("LeakyRelu", [x], OnnxGraph.Float("alpha", (float)ActivationFunctions.LeakyReLUSlope));
            case Activation.Softplus:
                return Node("Softplus", [x]);
            case Activation.ReLU6:
                return Node("Clip", [x, Scalar("min", 0f), Scalar("max", 6f)]);
            case Activation.Swish:
                return Node("Mul", [x, Node("Sigmoid", [x])]);
            case Activation.GELU:
                {
                    // The exact GELU, x · ½ · (1 + erf(x / √2)), as libtorch's default (the Gelu operator needs opset 20).
                    var erf = Node("Erf", [Node("Mul", [x, Scalar("rsqrt2", (float)(1 / Math.Sqrt(2)))])]);
                    var onePlus = Node("Add", [erf, Scalar("one", 1f)]);
                    return Node("Mul", [Node("Mul", [x, Scalar("half", 0.5f)]), onePlus]);
                }

            case Activation.HardSigmoid:
                return Node("HardSigmoid", [x], OnnxGraph.Float("alpha", 0.2f), OnnxGraph.Float("beta", 0.5f));
            case Activation.HardSwish:
                return opset >= 14
                    ? Node("HardSwish", [x])
                    : Node("Mul", [x, Node("HardSigmoid", [x], OnnxGraph.Float("alpha", 1f / 6), OnnxGraph.Float("beta", 0.5f))]);
            default:
                throw NotSupported($"its activation {activation} has no ONNX mapping");
        }
    }

    /// <summary>Adds one of the layer's weights (TorchSharp layout, float32) as an initializer named <c>layer.weight</c>, as in the model file.</summary>
    public string Weight(string name)
    {
        using var tensor = weight(Layer.Index, name);
        using var cpu = tensor.device_type == TorchSharp.DeviceType.CPU ? tensor.alias() : tensor.cpu();
        graph.Floats(Layer.Name, name, cpu.data<float>().ToArray(), cpu.shape);

        // '.' is not allowed in layer names, so this cannot clash with a layer's value.
        var initializer = graph.Graph.Initializer[^1];
        initializer.Name = $"{Layer.Name}.{name}";
        return initializer.Name;
    }

    /// <summary>The refusal for the current layer: names it and the reason.</summary>
    public NotSupportedException NotSupported(string reason) =>
        new($"Layer {Layer.Index} '{Layer.Name}' ({Layer.TypeName}) cannot be exported to ONNX: {reason}.");

    private WindowPadding WindowPadding(Size2D kernel, Size2D strides, Size2D dilation, Padding padding, Padding2D? explicitPadding) =>
        Layer.Window(kernel, strides, dilation, padding, explicitPadding).Padding;
}
