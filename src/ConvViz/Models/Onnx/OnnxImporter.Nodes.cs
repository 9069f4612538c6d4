// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;

namespace ConvViz.Models.Onnx;

/// <summary>The mapping of each ONNX operator to ConvViz layers.</summary>
internal sealed partial class OnnxImporter
{
    private void Map(NodeProto node)
    {
        if (node.Domain is not ("" or "ai.onnx"))
        {
            throw new NotSupportedException(
                $"{Describe(node)} of '{_source}' is in the operator domain '{Shorten(node.Domain)}'; ConvViz reads the default ONNX domain only ({string.Join(", ", SupportedOperators)}).");
        }

        if (node.Output.Count == 0 || node.Output[0].Length == 0)
        {
            throw Invalid($"{Describe(node)} has no output");
        }

        switch (node.OpType)
        {
            case "Constant":
                _constants[node.Output[0]] = ConstantNode(node);
                return;
            case "Identity":
                Alias(node, RequireValue(node, 0));
                return;
            case "Conv":
                Convolution(node);
                return;
            case "MaxPool":
            case "AveragePool":
                Pool(node);
                return;
            case "GlobalAveragePool":
                Single(node, new GlobalAveragePooling2DOptions { KeepDims = true, Name = LayerName(node) }, RequireSpatial(node));
                return;
            case "GlobalMaxPool":
                Single(node, new GlobalMaxPooling2DOptions { KeepDims = true, Name = LayerName(node) }, RequireSpatial(node));
                return;
            case "BatchNormalization":
                BatchNormalization(node);
                return;
            case "Relu":
                Activate(node, Activation.ReLU);
                return;
            case "Sigmoid":
                Activate(node, Activation.Sigmoid);
                return;
            case "Tanh":
                Activate(node, Activation.Tanh);
                return;
            case "Softplus":
                Activate(node, Activation.Softplus);
                return;
            case "HardSwish":
                Activate(node, Activation.HardSwish);
                return;
            case "Elu":
                Activate(node, Float(node, "alpha", 1f) == 1f ? Activation.ELU : throw Unsupported(node, "alpha other than 1 (ConvViz's ELU has alpha 1)"));
                return;
            case "Selu":
                Activate(node, Math.Abs(Float(node, "alpha", 1.67326319f) - 1.67326319f) < 1e-6 && Math.Abs(Float(node, "gamma", 1.05070102f) - 1.05070102f) < 1e-6
                    ? Activation.SELU
                    : throw Unsupported(node, "alpha or gamma other than SELU's standard constants"));
                return;
            case "HardSigmoid":
                Activate(node, Float(node, "alpha", 0.2f) == 0.2f && Float(node, "beta", 0.5f) == 0.5f
                    ? Activation.HardSigmoid
                    : throw Unsupported(node, $"alpha {Float(node, "alpha", 0.2f)} and beta {Float(node, "beta", 0.5f)}; ConvViz's hard sigmoid is Keras 2's (alpha 0.2, beta 0.5)"));
                return;
            case "LeakyRelu":
                {
                    var alpha = Float(node, "alpha", 0.01f);
                    Single(node, new ReLUOptions { NegativeSlope = alpha >= 0 ? alpha : throw Unsupported(node, $"a negative alpha ({alpha})"), Name = LayerName(node) }, RequireChannelsFirst(node, 0));
                    return;
                }

            case "Clip":
                Clip(node);
                return;
            case "Softmax":
                Softmax(node);
                return;
            case "Add":
            case "Sub":
            case "Mul":
            case "Div":
                Arithmetic(node);
                return;
            case "Concat":
                Concat(node);
                return;
            case "Split":
                Split(node);
                return;
            case "Flatten":
                Flatten(node);
                return;
            case "Reshape":
                Reshape(node);
                return;
            case "Transpose":
                Transpose(node);
                return;
            case "Gemm":
            case "MatMul":
                Dense(node);
                return;
            case "Dropout":
                Dropout(node);
                return;
            case "Pad":
                Pad(node);
                return;
            default:
                throw new NotSupportedException(
                    $"{Describe(node)} of '{_source}' uses the operator '{Shorten(node.OpType)}', which ConvViz does not import. Supported: {string.Join(", ", SupportedOperators)}.");
        }
    }

    private NotSupportedException Unsupported(NodeProto node, string what) =>
        new($"{Describe(node)} of '{_source}' uses {what}, which ConvViz does not import.");

    private void Alias(NodeProto node, GraphValue value)
    {
        RequireOnlyFirstOutput(node);
        _values[node.Output[0]] = value;
    }

    private void Single(NodeProto node, LayerOptions options, GraphValue input)
    {
        RequireOnlyFirstOutput(node);
        _values[node.Output[0]] = new GraphValue(AddLayer(options, node, input.Layer), false);
    }

    private void Activate(NodeProto node, Activation activation) =>
        Single(node, new ActivationOptions { Activation = activation, Name = LayerName(node) }, RequireChannelsFirst(node, 0));

    private void RequireOnlyFirstOutput(NodeProto node)
    {
        for (var i = 1; i < node.Output.Count; i++)
        {
            if (node.Output[i].Length > 0 && _consumers.ContainsKey(node.Output[i]))
            {
                throw Unsupported(node, $"its output {i} ('{Shorten(node.Output[i])}'), which later nodes read");
            }
        }
    }

    private GraphValue RequireChannelsFirst(NodeProto node, int input)
    {
        var value = RequireValue(node, input);
        return value.ChannelsLast
            ? throw Unsupported(node, "a channels-last feature map (after a Transpose to NHWC); ConvViz supports that layout only before Flatten or Reshape")
            : value;
    }

    private GraphValue RequireSpatial(NodeProto node)
    {
        var value = RequireChannelsFirst(node, 0);
        return _builder.ShapeOf(value.Layer).IsSpatial
            ? value
            : throw Unsupported(node, $"a flat input {_builder.ShapeOf(value.Layer)} where it needs a feature map");
    }

    /// <summary>The value's ONNX dims, [N, C, H, W] or [N, F], with N = -1.</summary>
    private long[] TorchDims(GraphValue value)
    {
        var shape = _builder.ShapeOf(value.Layer);
        return shape.IsSpatial
            ? (value.ChannelsLast ? [-1, shape.Height, shape.Width, shape.Channels] : [-1, shape.Channels, shape.Height, shape.Width])
            : [-1, shape.Channels];
    }

    private OnnxConstant ConstantNode(NodeProto node)
    {
        var attribute = node.Attribute.FirstOrDefault() ?? throw Invalid($"{Describe(node)} has no value");
        return attribute.Name switch
        {
            "value" when attribute.T is not null => ReadTensor(attribute.T, $"the value of {Describe(node)}"),
            "value_float" => new OnnxConstant([], [attribute.F], null),
            "value_floats" => new OnnxConstant([attribute.Floats.Count], [.. attribute.Floats], null),
            "value_int" => new OnnxConstant([], null, [attribute.I]),
            "value_ints" => new OnnxConstant([attribute.Ints.Count], null, [.. attribute.Ints]),
            _ => throw Unsupported(node, $"a '{Shorten(attribute.Name)}' constant"),
        };
    }

    private void Convolution(NodeProto node)
    {
        var x = RequireSpatial(node);
        var shape = _builder.ShapeOf(x.Layer);
        var w = RequireConstant(node, 1, "kernel");
        if (w.Floats is null || w.Dims.Length != 4 || w.Dims.Any(d => d is <= 0 or > int.MaxValue))
        {
            throw Unsupported(node, $"a kernel of shape [{string.Join(", ", w.Dims)}] (ConvViz imports 2-D convolutions with a float kernel [out, in / group, kh, kw])");
        }

        var group = Int(node, "group", 1);
        if (group <= 0 || w.Dims[1] * group != shape.Channels)
        {
            throw Invalid($"{Describe(node)} has a kernel for {w.Dims[1]} × {group} input channels, but its input has {shape.Channels}");
        }

        var kernel = new Size2D((int)w.Dims[2], (int)w.Dims[3]);
        if (Ints(node, "kernel_shape") is { } declared && !declared.SequenceEqual([w.Dims[2], w.Dims[3]]))
        {
            throw Invalid($"{Describe(node)} declares kernel_shape [{string.Join(", ", declared)}] but its kernel is {kernel.Height} × {kernel.Width}");
        }

        var strides = Pair(node, "strides");
        var dilation = Pair(node, "dilations");
        var (padding, explicitPadding) = Pads(node, shape, kernel, strides, dilation);
        var filters = (int)w.Dims[0];
        var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? RequireConstant(node, 2, "bias") : null;
        if (bias is not null && (bias.Floats is null || bias.Count != filters))
        {
            throw Invalid($"{Describe(node)} has {bias.Count} bias values for {filters} filters");
        }

        var options = new Conv2DOptions
        {
            Name = LayerName(node),
            Filters = filters,
            KernelSize = kernel,
            Strides = strides,
            DilationRate = dilation,
            Groups = (int)group,
            Padding = padding,
            ExplicitPadding = explicitPadding,
            UseBias = bias is not null,
        };
        RequireOnlyFirstOutput(node);
        var index = AddLayer(options, node, x.Layer);
        _weights.Add((index, "kernel", w.Floats, w.Dims));
        if (bias is not null)
        {
            _weights.Add((index, "bias", bias.Floats!, [filters]));
        }

        _values[node.Output[0]] = new GraphValue(index, false);
    }

    private void Pool(NodeProto node)
    {
        var x = RequireSpatial(node);
        var shape = _builder.ShapeOf(x.Layer);
        var size = Ints(node, "kernel_shape") is [var kh, var kw] && kh is > 0 and <= int.MaxValue && kw is > 0 and <= int.MaxValue
            ? new Size2D((int)kh, (int)kw)
            : throw Unsupported(node, "a kernel_shape other than two positive sizes (ConvViz pools 2-D feature maps)");
        var strides = Pair(node, "strides");
        if (Ints(node, "dilations") is { } dilations && dilations.Any(d => d != 1))
        {
            throw Unsupported(node, "dilated pooling");
        }

        var (padding, explicitPadding) = Pads(node, shape, size, strides, 1);
        var pads = explicitPadding ?? new Padding2D(0, 0, 0, 0);
        if (Int(node, "ceil_mode", 0) != 0 && padding != Padding.Same &&
            (Ceil(shape.Height + pads.Top + pads.Bottom - size.Height, strides.Height) != (shape.Height + pads.Top + pads.Bottom - size.Height) / strides.Height ||
             Ceil(shape.Width + pads.Left + pads.Right - size.Width, strides.Width) != (shape.Width + pads.Left + pads.Right - size.Width) / strides.Width))
        {
            throw Unsupported(node, "ceil_mode = 1 where it changes the output size (ConvViz rounds pooled sizes down)");
        }

        var isAverage = node.OpType == "AveragePool";
        if (isAverage && Int(node, "count_include_pad", 0) != 0 && (padding == Padding.Same || explicitPadding is not null))
        {
            throw Unsupported(node, "count_include_pad = 1 with padding (ConvViz, like Keras, averages only real pixels)");
        }

        LayerOptions options = isAverage
            ? new AveragePooling2DOptions { Name = LayerName(node), PoolSize = size, Strides = strides, Padding = padding, ExplicitPadding = explicitPadding }
            : new MaxPooling2DOptions { Name = LayerName(node), PoolSize = size, Strides = strides, Padding = padding, ExplicitPadding = explicitPadding };
        Single(node, options, x);

        static long Ceil(long a, long b) => a < 0 ? 0 : (a + b - 1) / b;
    }

    /// <summary>ONNX padding (<c>auto_pad</c> or <c>pads</c> = [top, left, bottom, right]) as ConvViz padding.</summary>
    private (Padding Padding, Padding2D? Explicit) Pads(NodeProto node, LayerShape shape, Size2D kernel, Size2D strides, Size2D dilation)
    {
        var autoPad = String(node, "auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "VALID":
                return (Padding.Valid, null);
            case "SAME_UPPER":
                return (Padding.Same, null); // TensorFlow's 'same': the odd pixel at the end.
            case "SAME_LOWER":
                {
                    var (top, bottom) = SameLower(shape.Height, kernel.Height, strides.Height, dilation.Height);
                    var (left, right) = SameLower(shape.Width, kernel.Width, strides.Width, dilation.Width);
                    return (Padding.Valid, new Padding2D(top, bottom, left, right));
                }

            case "NOTSET" or "":
                {
                    var pads = Ints(node, "pads") ?? [0, 0, 0, 0];
                    if (pads.Length != 4 || pads.Any(p => p is < 0 or > 65536))
                    {
                        throw Unsupported(node, $"pads [{string.Join(", ", pads)}] (ConvViz takes four non-negative 2-D pads)");
                    }

                    return pads.All(p => p == 0)
                        ? (Padding.Valid, null)
                        : (Padding.Valid, new Padding2D((int)pads[0], (int)pads[2], (int)pads[1], (int)pads[3]));
                }

            default:
                throw Unsupported(node, $"auto_pad '{Shorten(autoPad)}'");
        }

        static (int Begin, int End) SameLower(int size, int kernel, int stride, int dilation)
        {
            var output = (size + stride - 1) / stride;
            var total = Math.Max(((output - 1) * stride) + ((kernel - 1) * dilation) + 1 - size, 0);
            return (total - (total / 2), total / 2);
        }
    }

    private void BatchNormalization(NodeProto node)
    {
        var x = RequireChannelsFirst(node, 0);
        var channels = _builder.ShapeOf(x.Layer).Channels;
        if (_opset < 9 && Int(node, "spatial", 1) != 1)
        {
            throw Unsupported(node, "spatial = 0 (per-position statistics)");
        }

        if (Int(node, "training_mode", 0) != 0)
        {
            throw Unsupported(node, "training_mode = 1 (a file exported in training mode)");
        }

        string[] names = ["gamma", "beta", "moving_mean", "moving_variance"];
        var tensors = new float[4][];
        for (var i = 0; i < 4; i++)
        {
            var constant = RequireConstant(node, i + 1, names[i]);
            tensors[i] = constant.Floats is { } f && f.Length == channels
                ? f
                : throw Invalid($"{Describe(node)} has {constant.Count} values of {names[i]} for {channels} channels");
        }

        var momentum = Math.Clamp(Float(node, "momentum", 0.9f), 0f, 0.999999f);
        var options = new BatchNormalizationOptions { Name = LayerName(node), Epsilon = Float(node, "epsilon", 1e-5f), Momentum = momentum };
        RequireOnlyFirstOutput(node);
        var index = AddLayer(options, node, x.Layer);
        for (var i = 0; i < 4; i++)
        {
            _weights.Add((index, names[i], tensors[i], [channels]));
        }

        _values[node.Output[0]] = new GraphValue(index, false);
    }

    private void Clip(NodeProto node)
    {
        float min, max;
        if (_opset < 11)
        {
            min = Float(node, "min", float.NegativeInfinity);
            max = Float(node, "max", float.PositiveInfinity);
        }
        else
        {
            min = node.Input.Count > 1 && node.Input[1].Length > 0 ? Scalar(node, 1, "min") : float.NegativeInfinity;
            max = node.Input.Count > 2 && node.Input[2].Length > 0 ? Scalar(node, 2, "max") : float.PositiveInfinity;
        }

        if (min != 0 || !(max > 0))
        {
            throw Unsupported(node, $"Clip to [{min}, {max}] (ConvViz imports Clip from 0, as ReLU with a cap)");
        }

        LayerOptions options = max == 6f
            ? new ActivationOptions { Activation = Activation.ReLU6, Name = LayerName(node) }
            : float.IsPositiveInfinity(max) || max >= float.MaxValue
                ? new ActivationOptions { Activation = Activation.ReLU, Name = LayerName(node) }
                : new ReLUOptions { MaxValue = max, Name = LayerName(node) };
        Single(node, options, RequireChannelsFirst(node, 0));
    }

    private void Softmax(NodeProto node)
    {
        var x = RequireChannelsFirst(node, 0);
        var shape = _builder.ShapeOf(x.Layer);
        var rank = shape.IsSpatial ? 4 : 2;
        var axis = Int(node, "axis", _opset < 13 ? 1 : -1);
        axis = axis < 0 ? axis + rank : axis;
        var channelAxis = axis == 1 && (_opset >= 13 || !shape.IsSpatial || (shape.Height == 1 && shape.Width == 1));
        if (!channelAxis)
        {
            throw Unsupported(node, $"softmax over axis {axis} of a rank-{rank} value (ConvViz's softmax runs over the channel or feature axis)");
        }

        Activate(node, Activation.Softmax);
    }

    private void Arithmetic(NodeProto node)
    {
        if (node.Input.Count != 2)
        {
            throw Invalid($"{Describe(node)} has {node.Input.Count} inputs instead of 2");
        }

        var left = _values.TryGetValue(node.Input[0], out var l) ? l : (GraphValue?)null;
        var right = _values.TryGetValue(node.Input[1], out var r) ? r : (GraphValue?)null;
        if (left is { } a && right is { } b)
        {
            _ = RequireChannelsFirst(node, 0);
            _ = RequireChannelsFirst(node, 1);
            LayerOptions merge = node.OpType switch
            {
                "Add" => new AddOptions { Name = LayerName(node) },
                "Sub" => new SubtractOptions { Name = LayerName(node) },
                "Mul" => new MultiplyOptions { Name = LayerName(node) },
                _ => throw Unsupported(node, "a division of two computed values (ConvViz divides by constants only)"),
            };
            RequireOnlyFirstOutput(node);
            _values[node.Output[0]] = new GraphValue(AddLayer(merge, node, a.Layer, b.Layer), false);
            return;
        }

        var valueFirst = left is not null;
        var value = valueFirst ? RequireChannelsFirst(node, 0) : RequireChannelsFirst(node, 1);
        var constant = RequireConstant(node, valueFirst ? 1 : 0, "constant operand");
        if (constant.Floats is null)
        {
            throw Unsupported(node, "an integer constant operand");
        }

        var dims = TorchDims(value);
        if (constant.Dims.Length > dims.Length)
        {
            throw Unsupported(node, $"a constant of rank {constant.Dims.Length} on a rank-{dims.Length} value");
        }

        var shape = new int[dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            var j = i - (dims.Length - constant.Dims.Length);
            var d = j < 0 ? 1 : constant.Dims[j];
            if (i == 0 ? d != 1 : d != 1 && d != dims[i])
            {
                throw Unsupported(node, $"a constant of shape [{string.Join(", ", constant.Dims)}] that does not broadcast over the value [N, {string.Join(", ", dims.Skip(1))}]");
            }

            shape[i] = (int)d;
        }

        var operation = (node.OpType, valueFirst) switch
        {
            ("Add", _) => ElementwiseOperation.Add,
            ("Mul", _) => ElementwiseOperation.Multiply,
            ("Sub", true) => ElementwiseOperation.Subtract,
            ("Sub", false) => ElementwiseOperation.SubtractFrom,
            ("Div", true) => ElementwiseOperation.Divide,
            _ => ElementwiseOperation.DivideInto,
        };
        var options = new ElementwiseConstantOptions { Name = LayerName(node), Operation = operation, ConstantShape = shape };
        RequireOnlyFirstOutput(node);
        var index = AddLayer(options, node, value.Layer);
        _weights.Add((index, "constant", constant.Floats, [.. shape.Select(d => (long)d)]));
        _values[node.Output[0]] = new GraphValue(index, false);
    }

    private void Concat(NodeProto node)
    {
        var inputs = Enumerable.Range(0, node.Input.Count).Select(i => RequireChannelsFirst(node, i)).ToList();
        var rank = _builder.ShapeOf(inputs[0].Layer).IsSpatial ? 4 : 2;
        var axis = Int(node, "axis", 1);
        if ((axis < 0 ? axis + rank : axis) != 1)
        {
            throw Unsupported(node, $"concatenation along axis {axis} (ConvViz concatenates channels or features, axis 1)");
        }

        if (inputs.Count == 1)
        {
            Alias(node, inputs[0]);
            return;
        }

        RequireOnlyFirstOutput(node);
        _values[node.Output[0]] = new GraphValue(AddLayer(new ConcatenateOptions { Name = LayerName(node) }, node, [.. inputs.Select(v => v.Layer)]), false);
    }

    private void Split(NodeProto node)
    {
        var x = RequireChannelsFirst(node, 0);
        var shape = _builder.ShapeOf(x.Layer);
        var rank = shape.IsSpatial ? 4 : 2;
        var axis = Int(node, "axis", 0);
        if ((axis < 0 ? axis + rank : axis) != 1)
        {
            throw Unsupported(node, $"a split along axis {axis} (ConvViz splits channels or features, axis 1)");
        }

        long[] sizes = _opset < 13
            ? Ints(node, "split") ?? []
            : node.Input.Count > 1 && node.Input[1].Length > 0 ? RequireConstant(node, 1, "split sizes").Ints ?? throw Invalid($"{Describe(node)} has non-integer split sizes") : [];
        if (sizes.Length == 0)
        {
            var parts = node.Output.Count;
            sizes = shape.Channels % parts == 0
                ? [.. Enumerable.Repeat((long)(shape.Channels / parts), parts)]
                : throw Unsupported(node, $"an uneven split of {shape.Channels} channels into {parts}");
        }

        if (sizes.Length != node.Output.Count || sizes.Any(s => s <= 0) || sizes.Sum() != shape.Channels)
        {
            throw Invalid($"{Describe(node)} splits {shape.Channels} channels into [{string.Join(", ", sizes)}] for {node.Output.Count} outputs");
        }

        long start = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            if (node.Output[i].Length > 0 && _consumers.ContainsKey(node.Output[i]))
            {
                var options = new ChannelSliceOptions { Name = LayerName(node, i), Start = (int)start, Count = (int)sizes[i] };
                _values[node.Output[i]] = new GraphValue(AddLayer(options, node, x.Layer), false);
            }

            start += sizes[i];
        }
    }

    private void Flatten(NodeProto node)
    {
        var x = RequireValue(node, 0);
        var shape = _builder.ShapeOf(x.Layer);
        var axis = Int(node, "axis", 1);
        if ((axis < 0 ? axis + (shape.IsSpatial ? 4 : 2) : axis) != 1)
        {
            throw Unsupported(node, $"Flatten with axis {axis} (ConvViz flattens each sample, axis 1)");
        }

        FlattenValue(node, x);
    }

    private void FlattenValue(NodeProto node, GraphValue x)
    {
        var shape = _builder.ShapeOf(x.Layer);
        if (!shape.IsSpatial)
        {
            Alias(node, x);
            return;
        }

        // Channels-last (after a Transpose to NHWC) is Keras' order; 1 × 1 maps flatten the same way in both orders.
        var format = x.ChannelsLast || (shape.Height == 1 && shape.Width == 1) ? DataFormat.ChannelsLast : DataFormat.ChannelsFirst;
        Single(node, new FlattenOptions { Name = LayerName(node), DataFormat = format }, x);
    }

    private void Reshape(NodeProto node)
    {
        var x = RequireValue(node, 0);
        var target = RequireConstant(node, 1, "shape").Ints ?? throw Invalid($"{Describe(node)} has a non-integer shape");
        var dims = TorchDims(x);
        var total = dims.Skip(1).Aggregate(1L, (a, b) => a * b);
        var batchLike = target.Length > 0 && target[0] is 0 or -1 or 1;
        if (Int(node, "allowzero", 0) != 0 && target.Contains(0))
        {
            throw Unsupported(node, "allowzero = 1 with a 0 in the shape");
        }

        if (batchLike && target.Length == 2 && (target[1] == total || (target[1] == -1 && target[0] != -1)))
        {
            FlattenValue(node, x);
            return;
        }

        if (batchLike && !x.ChannelsLast && target.Length == dims.Length && target.Skip(1).Select((d, i) => d == 0 ? dims[i + 1] : d).SequenceEqual(dims.Skip(1)))
        {
            Alias(node, x);
            return;
        }

        throw Unsupported(node, $"a Reshape from [N, {string.Join(", ", dims.Skip(1))}] to [{string.Join(", ", target)}] (ConvViz imports Reshape to [N, features] and no-op reshapes)");
    }

    private void Transpose(NodeProto node)
    {
        var x = RequireValue(node, 0);
        var perm = Perm(node);
        var rank = _builder.ShapeOf(x.Layer).IsSpatial ? 4 : 2;
        if (perm is null)
        {
            throw Unsupported(node, "a Transpose without perm (it reverses all axes, the batch axis included)");
        }

        if (perm.SequenceEqual(Enumerable.Range(0, rank).Select(i => (long)i)))
        {
            Alias(node, x);
            return;
        }

        if (rank == 4 && !x.ChannelsLast && perm is [0, 2, 3, 1])
        {
            Alias(node, x with { ChannelsLast = true });
            return;
        }

        if (rank == 4 && x.ChannelsLast && perm is [0, 3, 1, 2])
        {
            Alias(node, x with { ChannelsLast = false });
            return;
        }

        throw Unsupported(node, $"a Transpose with perm [{string.Join(", ", perm ?? [])}] (ConvViz imports layout changes between NCHW and NHWC only)");
    }

    private void Dense(NodeProto node)
    {
        var x = RequireChannelsFirst(node, 0);
        var shape = _builder.ShapeOf(x.Layer);
        if (shape.IsSpatial)
        {
            throw Unsupported(node, $"{node.OpType} on a feature map {shape} (ConvViz's Dense takes a flat input; the file should Flatten first)");
        }

        var features = shape.Channels;
        var b = RequireConstant(node, 1, "weights");
        if (b.Floats is null || b.Dims.Length != 2)
        {
            throw Unsupported(node, $"{node.OpType} with weights of shape [{string.Join(", ", b.Dims)}] (ConvViz imports a constant 2-D weight matrix)");
        }

        var gemm = node.OpType == "Gemm";
        if (gemm && Int(node, "transA", 0) != 0)
        {
            throw Unsupported(node, "transA = 1");
        }

        var transposed = gemm && Int(node, "transB", 0) != 0; // B is [units, features]
        var units = transposed ? b.Dims[0] : b.Dims[1];
        if ((transposed ? b.Dims[1] : b.Dims[0]) != features || units is <= 0 or > int.MaxValue)
        {
            throw Invalid($"{Describe(node)} has weights [{string.Join(", ", b.Dims)}] for {features} input features");
        }

        var kernel = transposed ? (float[])b.Floats.Clone() : Transpose2D(b.Floats, b.Dims[0], b.Dims[1]);
        var alpha = gemm ? Float(node, "alpha", 1f) : 1f;
        if (alpha != 1f)
        {
            for (var i = 0; i < kernel.Length; i++)
            {
                kernel[i] *= alpha;
            }
        }

        float[]? bias = null;
        if (gemm && node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            var c = RequireConstant(node, 2, "bias");
            var beta = Float(node, "beta", 1f);
            if (c.Floats is null || (c.Count != units && c.Count != 1) || (c.Dims.Length == 2 && c.Dims[0] != 1))
            {
                throw Unsupported(node, $"a bias of shape [{string.Join(", ", c.Dims)}] for {units} units");
            }

            bias = [.. Enumerable.Range(0, (int)units).Select(i => c.Floats[c.Count == 1 ? 0 : i] * beta)];
        }

        var options = new DenseOptions { Name = LayerName(node), Units = (int)units, UseBias = bias is not null };
        RequireOnlyFirstOutput(node);
        var index = AddLayer(options, node, x.Layer);
        _weights.Add((index, "kernel", kernel, [units, features]));
        if (bias is not null)
        {
            _weights.Add((index, "bias", bias, [units]));
        }

        _values[node.Output[0]] = new GraphValue(index, false);
    }

    private static float[] Transpose2D(float[] values, long rows, long columns)
    {
        var result = new float[values.Length];
        for (long r = 0; r < rows; r++)
        {
            for (long c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = values[(r * columns) + c];
            }
        }

        return result;
    }

    private void Dropout(NodeProto node)
    {
        var ratio = _opset < 12
            ? Float(node, "ratio", 0.5f)
            : node.Input.Count > 1 && node.Input[1].Length > 0 ? Scalar(node, 1, "ratio") : 0.5f;
        if (node.Input.Count > 2 && node.Input[2].Length > 0 && RequireConstant(node, 2, "training_mode") is { } mode && (mode.Ints?.Any(v => v != 0) ?? mode.Floats?.Any(v => v != 0) ?? false))
        {
            throw Unsupported(node, "training_mode = true");
        }

        Single(node, new DropoutOptions { Name = LayerName(node), Rate = ratio is >= 0 and < 1 ? ratio : throw Unsupported(node, $"a dropout ratio of {ratio}") }, RequireChannelsFirst(node, 0));
    }

    private void Pad(NodeProto node)
    {
        var x = RequireSpatial(node);
        var mode = String(node, "mode", "constant");
        if (mode != "constant")
        {
            throw Unsupported(node, $"Pad mode '{Shorten(mode)}' (ConvViz pads with zeros)");
        }

        long[] pads;
        float value;
        if (_opset < 11)
        {
            pads = Ints(node, "pads") ?? [];
            value = Float(node, "value", 0f);
        }
        else
        {
            pads = RequireConstant(node, 1, "pads").Ints ?? [];
            value = node.Input.Count > 2 && node.Input[2].Length > 0 ? Scalar(node, 2, "constant_value") : 0f;
            if (node.Input.Count > 3 && node.Input[3].Length > 0)
            {
                throw Unsupported(node, "Pad with axes");
            }
        }

        if (value != 0)
        {
            throw Unsupported(node, $"padding with {value} (ConvViz pads with zeros)");
        }

        if (pads is not [0, 0, var top, var left, 0, 0, var bottom, var right] || new[] { top, left, bottom, right }.Any(p => p is < 0 or > 65536))
        {
            throw Unsupported(node, $"pads [{string.Join(", ", pads)}] (ConvViz pads height and width by non-negative amounts)");
        }

        Single(node, new ZeroPadding2DOptions { Name = LayerName(node), Top = (int)top, Bottom = (int)bottom, Left = (int)left, Right = (int)right }, x);
    }

    private float Scalar(NodeProto node, int input, string role)
    {
        var constant = RequireConstant(node, input, role);
        return constant.Count != 1
            ? throw Unsupported(node, $"a {role} with {constant.Count} values (a scalar is expected)")
            : constant.Floats?[0] ?? constant.Ints![0];
    }

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static long Int(NodeProto node, string name, long fallback) => Attribute(node, name) is { } a ? a.I : fallback;

    private static float Float(NodeProto node, string name, float fallback) => Attribute(node, name) is { } a ? a.F : fallback;

    private static string String(NodeProto node, string name, string fallback) => Attribute(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    private static long[]? Ints(NodeProto node, string name) => Attribute(node, name) is { } a ? [.. a.Ints] : null;

    private Size2D Pair(NodeProto node, string name)
    {
        var values = Ints(node, name) ?? [1, 1];
        return values is [var h, var w] && h is > 0 and <= 65536 && w is > 0 and <= 65536
            ? new Size2D((int)h, (int)w)
            : throw Unsupported(node, $"{name} [{string.Join(", ", values)}] (two positive 2-D values are expected)");
    }
}
