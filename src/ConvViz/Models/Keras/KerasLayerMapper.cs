// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text.Json;
using ConvViz.Models.Layers;

namespace ConvViz.Models.Keras;

/// <summary>
/// Maps a Keras layer config to ConvViz layer options, keeping the Keras name. Every option that changes the output is
/// read; a value ConvViz does not implement (<c>data_format = channels_first</c>, an unknown activation, a causal
/// padding, …) is refused with <see cref="NotSupportedException"/>, never ignored. Training-only settings
/// (regularizers, constraints, initializers, <c>trainable</c>, <c>dtype</c>) are accepted and ignored.
/// </summary>
internal static class KerasLayerMapper
{
    /// <summary>The Keras layer classes ConvViz reads.</summary>
    public static readonly IReadOnlyList<string> Supported =
    [
        "InputLayer", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense", "MaxPooling2D", "AveragePooling2D",
        "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Flatten", "Dropout", "BatchNormalization", "Activation", "ReLU",
        "LeakyReLU", "ZeroPadding2D", "Reshape", "Rescaling", "Add", "Subtract", "Multiply", "Average", "Maximum",
        "Minimum", "Concatenate",
    ];

    /// <summary>
    /// Checks the <c>axis</c> of a BatchNormalization or Concatenate layer against the rank of its input (with the
    /// batch axis): ConvViz normalises and concatenates along the last axis, which is 3 for feature maps and 1 for
    /// vectors (<see cref="Map"/> has already refused every other axis).
    /// </summary>
    /// <exception cref="NotSupportedException">The axis is not the last one of this input.</exception>
    public static void CheckAxis(KerasLayerNode node, int inputRank, string source)
    {
        if (node.ClassName is not ("BatchNormalization" or "Concatenate") || !node.Config.TryGetProperty("axis", out var axis))
        {
            return;
        }

        var value = axis.ValueKind == JsonValueKind.Number ? axis.GetInt32() : axis.ValueKind == JsonValueKind.Array && axis.GetArrayLength() == 1 ? axis[0].GetInt32() : -1;
        if (value != -1 && value != inputRank - 1)
        {
            throw new NotSupportedException(
                $"Layer '{node.Name}' ({node.ClassName}) in '{source}' has axis {axis.GetRawText()}, which for its {inputRank}-D input is not the last (channel or feature) axis; only that axis is supported.");
        }
    }

    /// <summary>Maps one layer.</summary>
    /// <param name="node">The layer.</param>
    /// <param name="kerasMajor">The Keras major version that wrote the file (2 or 3), for names whose meaning changed.</param>
    /// <param name="source">The file name for messages.</param>
    public static LayerOptions Map(KerasLayerNode node, int kerasMajor, string source)
    {
        var c = new Cfg(node, source);
        c.RequireChannelsLast();
        LayerOptions options = node.ClassName switch
        {
            "InputLayer" => new InputLayerOptions(),
            "Conv2D" or "Convolution2D" => new Conv2DOptions
            {
                Filters = c.Int("filters"),
                KernelSize = c.Size("kernel_size"),
                Strides = c.Size("strides", 1),
                Padding = c.Padding(),
                DilationRate = c.Size("dilation_rate", 1),
                Groups = c.OptionalInt("groups") ?? 1,
                Activation = c.Activation(kerasMajor),
                UseBias = c.Bool("use_bias", true),
            },
            "DepthwiseConv2D" => new DepthwiseConv2DOptions
            {
                KernelSize = c.Size("kernel_size"),
                Strides = c.Size("strides", 1),
                Padding = c.Padding(),
                DepthMultiplier = c.OptionalInt("depth_multiplier") ?? 1,
                DilationRate = c.Size("dilation_rate", 1),
                Activation = c.Activation(kerasMajor),
                UseBias = c.Bool("use_bias", true),
            },
            "SeparableConv2D" or "SeparableConvolution2D" => new SeparableConv2DOptions
            {
                Filters = c.Int("filters"),
                KernelSize = c.Size("kernel_size"),
                Strides = c.Size("strides", 1),
                Padding = c.Padding(),
                DepthMultiplier = c.OptionalInt("depth_multiplier") ?? 1,
                DilationRate = c.Size("dilation_rate", 1),
                Activation = c.Activation(kerasMajor),
                UseBias = c.Bool("use_bias", true),
            },
            "Dense" => new DenseOptions { Units = c.Int("units"), Activation = c.Activation(kerasMajor), UseBias = c.Bool("use_bias", true) },
            "MaxPooling2D" or "MaxPool2D" => new MaxPooling2DOptions { PoolSize = c.Size("pool_size", 2), Strides = c.OptionalSize("strides"), Padding = c.Padding() },
            "AveragePooling2D" or "AvgPool2D" => new AveragePooling2DOptions { PoolSize = c.Size("pool_size", 2), Strides = c.OptionalSize("strides"), Padding = c.Padding() },
            "GlobalAveragePooling2D" or "GlobalAvgPool2D" => c.NoKeepDims(new GlobalAveragePooling2DOptions()),
            "GlobalMaxPooling2D" or "GlobalMaxPool2D" => c.NoKeepDims(new GlobalMaxPooling2DOptions()),
            "Flatten" => new FlattenOptions(),
            "Dropout" => c.NoNoiseShape(new DropoutOptions { Rate = c.Double("rate") }),
            "BatchNormalization" => c.BatchNormalization(),
            "Activation" => new ActivationOptions { Activation = c.Activation(kerasMajor) },
            "ReLU" => new ReLUOptions
            {
                MaxValue = c.OptionalDouble("max_value"),
                NegativeSlope = c.OptionalDouble("negative_slope") ?? 0,
                Threshold = c.OptionalDouble("threshold") ?? 0,
            },
            "LeakyReLU" => new ReLUOptions { NegativeSlope = c.OptionalDouble("alpha") ?? c.OptionalDouble("negative_slope") ?? 0.3 },
            "ZeroPadding2D" => c.ZeroPadding(),
            "Reshape" => new ReshapeOptions { TargetShape = c.Ints("target_shape") },
            "Rescaling" => new RescalingOptions { Scale = c.Double("scale"), Offset = c.OptionalDouble("offset") ?? 0 },
            "Add" => new AddOptions(),
            "Subtract" => new SubtractOptions(),
            "Multiply" => new MultiplyOptions(),
            "Average" => new AverageOptions(),
            "Maximum" => new MaximumOptions(),
            "Minimum" => new MinimumOptions(),
            "Concatenate" => c.Concatenate(),
            "Lambda" => throw Refuse(node, source, "a Lambda layer holds Python code, and ConvViz never executes anything from a model file"),
            _ => throw Refuse(node, source, "ConvViz has no such layer (or it is a custom class)"),
        };

        return options with { Name = node.Name };
    }

    internal static NotSupportedException Refuse(KerasLayerNode node, string source, string why) =>
        new($"Layer '{node.Name}' of class '{KerasModelConfig.Truncate(node.ClassName)}' in '{source}' cannot be imported: {why}. Supported Keras layers: {string.Join(", ", Supported)}.");

    private sealed class Cfg(KerasLayerNode node, string source)
    {
        private readonly JsonElement _config = node.Config;

        public void RequireChannelsLast()
        {
            if (Str("data_format") is { } format && format != "channels_last")
            {
                throw Refuse(node, source, $"data_format = '{KerasModelConfig.Truncate(format)}' is not supported; ConvViz models are channels_last as Keras' default");
            }
        }

        public string? Str(string name) => _config.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        public int Int(string name) => OptionalInt(name) ?? throw Invalid($"has no integer '{name}'");

        public int? OptionalInt(string name) =>
            !_config.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
            : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i
            : throw Invalid($"has a '{name}' that is not an integer");

        public double Double(string name) => OptionalDouble(name) ?? throw Invalid($"has no number '{name}'");

        public double? OptionalDouble(string name) =>
            !_config.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
            : v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : throw Invalid($"has a '{name}' that is not a number");

        public bool Bool(string name, bool fallback) =>
            !_config.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? fallback
            : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean()
            : throw Invalid($"has a '{name}' that is not a boolean");

        public int[] Ints(string name)
        {
            if (!_config.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array || v.GetArrayLength() > 8)
            {
                throw Invalid($"has no list of integers '{name}'");
            }

            return [.. v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i) ? i : throw Invalid($"has a '{name}' that is not a list of integers"))];
        }

        public Size2D Size(string name, int? fallback = null) => OptionalSize(name) ?? (fallback is { } f ? new Size2D(f, f) : throw Invalid($"has no '{name}'"));

        public Size2D? OptionalSize(string name)
        {
            if (!_config.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var single))
            {
                return new Size2D(single, single);
            }

            var values = Ints(name);
            return values.Length == 2 ? new Size2D(values[0], values[1]) : throw Invalid($"has a '{name}' of {values.Length} values; a 2-D layer takes 2");
        }

        public Padding Padding() => Str("padding") switch
        {
            null or "valid" => Models.Layers.Padding.Valid,
            "same" => Models.Layers.Padding.Same,
            var other => throw Refuse(node, source, $"padding = '{KerasModelConfig.Truncate(other)}' is not supported (only 'valid' and 'same')"),
        };

        public Activation Activation(int kerasMajor)
        {
            if (_config.TryGetProperty("activation", out var v) && v.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                throw Refuse(node, source, $"its activation is an object ({KerasModelConfig.Truncate(v.GetRawText())}), a custom activation");
            }

            return Str("activation") switch
            {
                null or "linear" => Models.Layers.Activation.Linear,
                "relu" => Models.Layers.Activation.ReLU,
                "sigmoid" => Models.Layers.Activation.Sigmoid,
                "softmax" => Models.Layers.Activation.Softmax,
                "tanh" => Models.Layers.Activation.Tanh,
                "elu" => Models.Layers.Activation.ELU,
                "selu" => Models.Layers.Activation.SELU,
                "softplus" => Models.Layers.Activation.Softplus,
                "relu6" => Models.Layers.Activation.ReLU6,
                "swish" or "silu" => Models.Layers.Activation.Swish,
                "gelu" => Models.Layers.Activation.GELU,

                // Keras 2's hard_sigmoid is clip(0.2x + 0.5, 0, 1), which ConvViz implements; Keras 3 changed it to relu6(x + 3) / 6.
                "hard_sigmoid" when kerasMajor < 3 => Models.Layers.Activation.HardSigmoid,
                var other => throw Refuse(node, source,
                    $"activation '{KerasModelConfig.Truncate(other)}' is not supported (ConvViz has linear, relu, sigmoid, softmax, tanh, elu, selu, softplus, relu6, swish/silu, gelu and Keras 2's hard_sigmoid)"),
            };
        }

        public LayerOptions NoKeepDims(LayerOptions options) =>
            Bool("keepdims", false) ? throw Refuse(node, source, "keepdims = true is not supported") : options;

        public LayerOptions NoNoiseShape(LayerOptions options) =>
            _config.TryGetProperty("noise_shape", out var v) && v.ValueKind != JsonValueKind.Null
                ? throw Refuse(node, source, "a noise_shape (dropout of whole channels) is not supported")
                : options;

        public LayerOptions BatchNormalization()
        {
            var axis = _config.TryGetProperty("axis", out var a) ? a : default;
            var axisValue = axis.ValueKind == JsonValueKind.Number ? axis.GetInt32() : axis.ValueKind == JsonValueKind.Array && axis.GetArrayLength() == 1 ? axis[0].GetInt32() : -1;
            if (axis.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null) && axisValue is not (-1 or 3 or 1))
            {
                throw Refuse(node, source, $"axis {axis.GetRawText()} is not the channel axis");
            }

            if (Bool("renorm", false))
            {
                throw Refuse(node, source, "batch renormalization (renorm = true) is not supported");
            }

            return new BatchNormalizationOptions
            {
                Epsilon = OptionalDouble("epsilon") ?? 1e-3,
                Momentum = OptionalDouble("momentum") ?? 0.99,
                Center = Bool("center", true),
                Scale = Bool("scale", true),
            };
        }

        public LayerOptions ZeroPadding()
        {
            if (!_config.TryGetProperty("padding", out var p) || p.ValueKind == JsonValueKind.Null)
            {
                return new ZeroPadding2DOptions();
            }

            if (p.ValueKind == JsonValueKind.Number)
            {
                var n = p.GetInt32();
                return new ZeroPadding2DOptions { Top = n, Bottom = n, Left = n, Right = n };
            }

            if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 2)
            {
                if (p[0].ValueKind == JsonValueKind.Number)
                {
                    return new ZeroPadding2DOptions { Top = p[0].GetInt32(), Bottom = p[0].GetInt32(), Left = p[1].GetInt32(), Right = p[1].GetInt32() };
                }

                if (p[0].ValueKind == JsonValueKind.Array && p[0].GetArrayLength() == 2 && p[1].ValueKind == JsonValueKind.Array && p[1].GetArrayLength() == 2)
                {
                    return new ZeroPadding2DOptions { Top = p[0][0].GetInt32(), Bottom = p[0][1].GetInt32(), Left = p[1][0].GetInt32(), Right = p[1][1].GetInt32() };
                }
            }

            throw Invalid($"has a padding {KerasModelConfig.Truncate(p.GetRawText())} that is not n, (h, w) or ((top, bottom), (left, right))");
        }

        public LayerOptions Concatenate()
        {
            var axis = OptionalInt("axis") ?? -1;
            return axis is -1 or 3 or 1
                ? new ConcatenateOptions()
                : throw Refuse(node, source, $"axis = {axis.ToString(CultureInfo.InvariantCulture)} is not supported (only the channel axis, -1)");
        }

        private InvalidDataException Invalid(string problem) =>
            new($"Layer '{node.Name}' ({KerasModelConfig.Truncate(node.ClassName)}) in '{source}' {problem}.");
    }
}
