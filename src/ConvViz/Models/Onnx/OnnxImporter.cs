// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ConvViz.Models.Layers;
using Google.Protobuf;
using static TorchSharp.torch;

namespace ConvViz.Models.Onnx;

/// <summary>
/// Builds a ConvViz <see cref="Model"/> from an ONNX model: each node becomes a layer (through
/// <see cref="LayerGraphBuilder"/>) with a readable name and its weights. Only the ancestors of the first graph output
/// are imported. ONNX files come from strangers: every declared size is checked against the data actually present
/// before anything is allocated, external data is read only from the model's own folder, and nothing in the file is
/// ever executed.
/// </summary>
internal sealed partial class OnnxImporter
{
    /// <summary>The oldest default-domain opset read.</summary>
    public const int MinOpset = 7;

    /// <summary>The newest default-domain opset read.</summary>
    public const int MaxOpset = 21;

    private const int MaxNameLength = 64;

    private readonly string _source;
    private readonly string? _directory;
    private readonly int _opset;
    private readonly GraphProto _graph;
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxConstant> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GraphValue> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _usedNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(int Layer, string Weight, float[] Values, long[] Shape)> _weights = [];
    private readonly IReadOnlyDictionary<string, string>? _names;
    private LayerGraphBuilder _builder = null!;

    private OnnxImporter(ModelProto model, string source, string? directory, IReadOnlyDictionary<string, string>? names)
    {
        _source = source;
        _directory = directory;
        _names = names;
        _graph = model.Graph ?? throw Invalid("it has no graph");
        _opset = DefaultOpset(model);
    }

    /// <summary>Gets the operators the importer maps, for error messages and documentation.</summary>
    public static IReadOnlyList<string> SupportedOperators { get; } =
    [
        "Add", "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv", "Div", "Dropout", "Elu", "Flatten",
        "Gemm", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid", "HardSwish", "Identity", "LeakyRelu", "MatMul", "MaxPool",
        "Mul", "Pad", "Relu", "Reshape", "Selu", "Sigmoid", "Softmax", "Softplus", "Split", "Sub", "Tanh", "Transpose",
    ];

    /// <summary>
    /// Whether <paramref name="head"/> (the first 9 bytes or more of a file) looks like an ONNX <c>ModelProto</c>: it
    /// starts with field 1 (<c>ir_version</c>) as a small varint followed by another field, and is not a ConvViz
    /// (safetensors) file, whose 9th byte opens its JSON header.
    /// </summary>
    public static bool LooksLikeOnnx(ReadOnlySpan<byte> head) =>
        head.Length >= 9 && head[0] == 0x08 && head[1] is > 0 and < 0x80 && head[2] != 0 && (head[2] & 0x07) is 0 or 2 && head[8] != (byte)'{';

    /// <summary>Parses <paramref name="bytes"/> and builds the model.</summary>
    /// <param name="bytes">The whole ONNX file.</param>
    /// <param name="source">The file name or "the model stream", for messages.</param>
    /// <param name="directory">The model's folder, where external data may be read; <see langword="null"/> refuses external data.</param>
    /// <param name="names">Layer names to use, by the name of the node's first output; others are derived from the node.</param>
    /// <returns>The model; the caller owns it.</returns>
    public static Model Load(byte[] bytes, string source, string? directory, IReadOnlyDictionary<string, string>? names = null) =>
        Load(Parse(bytes, source), source, directory, names);

    /// <summary>Builds the model from a parsed ONNX model.</summary>
    /// <returns>The model; the caller owns it.</returns>
    public static Model Load(ModelProto proto, string source, string? directory, IReadOnlyDictionary<string, string>? names = null) =>
        new OnnxImporter(proto, source, directory, names).Build();

    /// <summary>Parses an ONNX <c>ModelProto</c>; lengths inside it cannot exceed <paramref name="bytes"/>.</summary>
    public static ModelProto Parse(byte[] bytes, string source)
    {
        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"'{source}' is not a valid ONNX model (the protobuf is corrupt or truncated: {ex.Message}).", ex);
        }
    }

    /// <summary>
    /// Parses an ONNX <c>ModelProto</c> from the rest of a seekable stream (a file), without a copy of the whole file:
    /// each tensor's bytes are read once, into their own buffer. Google.Protobuf allocates a declared length only when
    /// that many bytes remain in the stream, so lengths inside it cannot exceed the file either.
    /// </summary>
    public static ModelProto Parse(Stream stream, string source)
    {
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable, so that declared lengths are checked against it.", nameof(stream));
        }

        try
        {
            return ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"'{source}' is not a valid ONNX model (the protobuf is corrupt or truncated: {ex.Message}).", ex);
        }
    }

    private static int DefaultOpset(ModelProto model)
    {
        foreach (var set in model.OpsetImport)
        {
            if (set.Domain is "" or "ai.onnx")
            {
                return (int)Math.Clamp(set.Version, int.MinValue, int.MaxValue);
            }
        }

        return model.OpsetImport.Count == 0 ? 1 : 0;
    }

    private Model Build()
    {
        if (_opset is < MinOpset or > MaxOpset)
        {
            throw new NotSupportedException(
                $"'{_source}' uses ONNX opset {_opset}; ConvViz reads opsets {MinOpset}–{MaxOpset}. Convert it with onnx.version_converter, or export it again with an opset in that range.");
        }

        if (_graph.SparseInitializer.Count > 0)
        {
            throw new NotSupportedException($"'{_source}' stores {_graph.SparseInitializer.Count} sparse initializers; ConvViz reads dense ones only. Densify them with the onnx Python package first.");
        }

        foreach (var initializer in _graph.Initializer)
        {
            if (!_initializers.TryAdd(initializer.Name, initializer))
            {
                throw Invalid($"two initializers are named '{Shorten(initializer.Name)}'");
            }
        }

        if (_graph.Output.Count == 0)
        {
            throw Invalid("its graph has no output");
        }

        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in _graph.Node)
        {
            foreach (var output in node.Output)
            {
                if (output.Length > 0 && (!producers.TryAdd(output, node) || _initializers.ContainsKey(output)))
                {
                    throw Invalid($"the value '{Shorten(output)}' is produced twice");
                }
            }
        }

        var needed = Ancestors(_graph.Output[0].Name, producers);
        var input = RealInput();
        foreach (var node in _graph.Node)
        {
            if (needed.Contains(node))
            {
                foreach (var name in node.Input)
                {
                    _consumers[name] = _consumers.GetValueOrDefault(name) + 1;
                }
            }
        }

        var (shape, channelsLast) = InputShape(input, producers, needed);
        _builder = new LayerGraphBuilder(shape);
        var inputLayer = AddLayer(new Layers.InputLayerOptions { Name = UniqueName(_names?.GetValueOrDefault(input.Name) ?? input.Name, "input") }, null, LayerGraphBuilder.ModelInput);
        _values[input.Name] = new GraphValue(inputLayer, channelsLast);

        foreach (var node in _graph.Node)
        {
            if (needed.Contains(node))
            {
                try
                {
                    Map(node);
                }
                catch (ArgumentException ex)
                {
                    // An attribute ConvViz's own validation rejects (a zero stride, a negative epsilon, …).
                    throw new InvalidDataException($"{Describe(node)} of '{_source}' has an invalid attribute: {ex.Message}", ex);
                }
                catch (OverflowException ex)
                {
                    throw new InvalidDataException($"{Describe(node)} of '{_source}' declares sizes that overflow: {ex.Message}", ex);
                }
            }
        }

        var outputName = _graph.Output[0].Name;
        if (!_values.TryGetValue(outputName, out var result))
        {
            throw Invalid($"its output '{Shorten(outputName)}' is a constant or is not computed from the input");
        }

        if (result.ChannelsLast)
        {
            throw new NotSupportedException($"'{_source}' ends with a channels-last feature map (a Transpose to NHWC); ConvViz models output NCHW feature maps or vectors.");
        }

        if (result.Layer != _builder.Count - 1)
        {
            // The output is an alias (Identity) of an earlier layer: keep the model's output last.
            AddLayer(new Layers.ActivationOptions { Activation = Activation.Linear, Name = UniqueName(outputName, "output") }, null, result.Layer);
        }

        try
        {
            _builder.ValidateConnected(_builder.Count - 1);
        }
        catch (ArgumentException ex)
        {
            throw new NotSupportedException($"'{_source}' cannot be imported: {ex.Message}", ex);
        }

        // Every weight is copied in next (straight from the managed arrays, without a native copy of each).
        var model = _builder.Build(seed: 0, weightsFollow: true);
        try
        {
            using var scope = NewDisposeScope();
            foreach (var (layer, weight, values, weightShape) in _weights)
            {
                using var flat = frombuffer(values, ScalarType.Float32);
                using var value = flat.view(weightShape);
                model.SetWeight(layer, weight, value);
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    private HashSet<NodeProto> Ancestors(string output, Dictionary<string, NodeProto> producers)
    {
        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<string>();
        stack.Push(output);
        while (stack.Count > 0)
        {
            var name = stack.Pop();
            if (name.Length > 0 && producers.TryGetValue(name, out var node) && needed.Add(node))
            {
                foreach (var input in node.Input)
                {
                    stack.Push(input);
                }
            }
        }

        return needed;
    }

    private ValueInfoProto RealInput()
    {
        var inputs = _graph.Input.Where(i => !_initializers.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
        {
            throw new NotSupportedException(
                $"'{_source}' has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => Shorten(i.Name)))}); ConvViz models take exactly one image input.");
        }

        return inputs[0];
    }

    private (LayerShape Shape, bool ChannelsLast) InputShape(ValueInfoProto input, Dictionary<string, NodeProto> producers, HashSet<NodeProto> needed)
    {
        var type = input.Type?.TensorType;
        if (type is null || type.ElemType != (int)TensorProto.Types.DataType.Float)
        {
            throw new NotSupportedException($"'{_source}': the input '{Shorten(input.Name)}' is not a float32 tensor; ConvViz models take float32 images.");
        }

        var dims = type.Shape?.Dim.ToList() ?? [];
        if (dims.Count is not (2 or 4))
        {
            throw new NotSupportedException(
                $"'{_source}': the input '{Shorten(input.Name)}' has rank {dims.Count}; ConvViz imports image models whose input is [N, C, H, W] (or [N, H, W, C] followed by a Transpose), " +
                "and models whose input is a vector [N, features].");
        }

        var sizes = new long[dims.Count];
        for (var i = 1; i < dims.Count; i++)
        {
            sizes[i] = dims[i].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? dims[i].DimValue : -1;
            if (sizes[i] is <= 0 or > 65536)
            {
                throw new NotSupportedException(
                    $"'{_source}': axis {i} of the input '{Shorten(input.Name)}' is {(sizes[i] < 0 ? $"symbolic ('{Shorten(dims[i].DimParam)}')" : sizes[i].ToString(CultureInfo.InvariantCulture))}; " +
                    "ConvViz needs a fixed image size (only the batch axis may vary). Fix the size in the file (onnx.tools.update_model_dims) and load it again.");
            }
        }

        if (dims.Count == 2)
        {
            // A vector input [N, features], such as the export of a model built on SequentialBuilder(new LayerShape(784)).
            return (new LayerShape((int)sizes[1]), false);
        }

        // [N, H, W, C] when every reader transposes it to NCHW (as tf2onnx writes Keras models).
        var readers = needed.Where(n => n.Input.Contains(input.Name)).ToList();
        var channelsLast = readers.Count > 0 && readers.All(n => n.OpType == "Transpose" && Perm(n) is [0, 3, 1, 2]);
        return channelsLast
            ? (new LayerShape((int)sizes[1], (int)sizes[2], (int)sizes[3]), true)
            : (new LayerShape((int)sizes[2], (int)sizes[3], (int)sizes[1]), false);
    }

    private int AddLayer(Layers.LayerOptions options, NodeProto? node, params int[] inputs)
    {
        try
        {
            return _builder.Add(options, inputs);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{Describe(node)} of '{_source}' does not fit its inputs: {ex.Message}", ex);
        }
    }

    /// <summary>A valid, unique layer name from a node: its given name, or the op type and first output.</summary>
    private string LayerName(NodeProto node, int output = 0)
    {
        var key = node.Output.Count > output ? node.Output[output] : string.Empty;
        if (_names is not null && _names.TryGetValue(key, out var given))
        {
            return UniqueName(given, node.OpType);
        }

        var name = output > 0 ? key : node.Name.Length > 0 ? node.Name : $"{node.OpType}_{key}";
        return UniqueName(name, node.OpType);
    }

    private string UniqueName(string raw, string fallback)
    {
        var builder = new StringBuilder(MaxNameLength);
        foreach (var c in raw)
        {
            if (builder.Length == MaxNameLength)
            {
                break;
            }

            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        }

        var name = builder.ToString().Trim('_');
        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
        {
            name = Sanitize(fallback) + (name.Length > 0 ? "_" + name : string.Empty);
        }

        if (name.Length > MaxNameLength)
        {
            name = name[..MaxNameLength];
        }

        var unique = name;
        for (var k = 2; !_usedNames.Add(unique); k++)
        {
            unique = $"{name}_{k}";
        }

        return unique;
    }

    private static string Sanitize(string text)
    {
        var letters = new string([.. text.Where(c => char.IsAsciiLetterOrDigit(c) || c == '_').Take(32)]);
        return letters.Length > 0 && char.IsAsciiLetter(letters[0]) ? letters : "node";
    }

    /// <summary>A constant operand: an initializer or the output of a <c>Constant</c> node.</summary>
    private OnnxConstant? ConstantOf(string name)
    {
        if (name.Length == 0)
        {
            return null;
        }

        if (_constants.TryGetValue(name, out var constant))
        {
            return constant;
        }

        if (_initializers.TryGetValue(name, out var initializer))
        {
            constant = ReadTensor(initializer, $"initializer '{Shorten(name)}'");
            _constants[name] = constant;
            return constant;
        }

        return null;
    }

    private OnnxConstant RequireConstant(NodeProto node, int input, string role)
    {
        if (input >= node.Input.Count || node.Input[input].Length == 0)
        {
            throw Invalid($"{Describe(node)} has no {role} (input {input})");
        }

        return ConstantOf(node.Input[input])
            ?? (_values.ContainsKey(node.Input[input])
                ? throw new NotSupportedException($"{Describe(node)} of '{_source}' computes its {role} from the input; ConvViz needs it as a constant (an initializer).")
                : throw Invalid($"{Describe(node)} reads '{Shorten(node.Input[input])}', which is neither an initializer nor computed by an earlier node (the graph is cyclic, unsorted or has a missing initializer)"));
    }

    private GraphValue RequireValue(NodeProto node, int input)
    {
        if (input >= node.Input.Count || node.Input[input].Length == 0)
        {
            throw Invalid($"{Describe(node)} has no input {input}");
        }

        var name = node.Input[input];
        return _values.TryGetValue(name, out var value)
            ? value
            : ConstantOf(name) is not null
                ? throw new NotSupportedException($"{Describe(node)} of '{_source}' applies to a constant only ('{Shorten(name)}'); ConvViz imports operations on the image's values. Fold constants first (onnxruntime's or onnx-simplifier's constant folding).")
                : throw Invalid($"{Describe(node)} reads '{Shorten(name)}', which no earlier node computes (the graph is cyclic, unsorted or has a missing initializer)");
    }

    /// <summary>Reads a tensor's values, checking its declared size against the data present before allocating.</summary>
    private OnnxConstant ReadTensor(TensorProto t, string what)
    {
        long count = 1;
        foreach (var d in t.Dims)
        {
            if (d < 0)
            {
                throw Invalid($"{what} has a negative dimension ({d})");
            }

            count = d == 0 ? 0 : count <= long.MaxValue / d ? count * d : throw Invalid($"{what} declares more elements than fit in memory");
        }

        var dims = t.Dims.ToArray();
        var type = (TensorProto.Types.DataType)t.DataType;
        var raw = t.DataLocation == TensorProto.Types.DataLocation.External ? ReadExternal(t, what, count, ElementSize(type, what)) : t.RawData.Span;
        if (t.DataLocation != TensorProto.Types.DataLocation.External && !t.RawData.IsEmpty)
        {
            var expected = count * ElementSize(type, what);
            if (raw.Length != expected)
            {
                throw Invalid($"{what} declares {count} elements of {type} ({expected} bytes) but holds {raw.Length} bytes of raw data");
            }
        }

        switch (type)
        {
            case TensorProto.Types.DataType.Float:
                return new OnnxConstant(dims, raw.Length > 0 || count == 0 ? MemoryMarshal.Cast<byte, float>(raw).ToArray() : Exactly(t.FloatData, count, what), null);
            case TensorProto.Types.DataType.Double:
                return new OnnxConstant(dims, raw.Length > 0 || count == 0 ? [.. MemoryMarshal.Cast<byte, double>(raw).ToArray().Select(v => (float)v)] : [.. Exactly(t.DoubleData, count, what).Select(v => (float)v)], null);
            case TensorProto.Types.DataType.Float16:
                return new OnnxConstant(dims, raw.Length > 0 || count == 0
                    ? [.. MemoryMarshal.Cast<byte, Half>(raw).ToArray().Select(v => (float)v)]
                    : [.. Exactly(t.Int32Data, count, what).Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v))], null);
            case TensorProto.Types.DataType.Int64:
                return new OnnxConstant(dims, null, raw.Length > 0 || count == 0 ? MemoryMarshal.Cast<byte, long>(raw).ToArray() : Exactly(t.Int64Data, count, what));
            case TensorProto.Types.DataType.Int32:
                return new OnnxConstant(dims, null, raw.Length > 0 || count == 0 ? [.. MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (long)v)] : [.. Exactly(t.Int32Data, count, what).Select(v => (long)v)]);
            default:
                throw new NotSupportedException($"'{_source}': {what} has element type {type}; ConvViz reads float32, float64, float16, int64 and int32 constants.");
        }
    }

    private T[] Exactly<T>(Google.Protobuf.Collections.RepeatedField<T> data, long count, string what)
    {
        if (data.Count != count)
        {
            throw Invalid($"{what} declares {count} elements but holds {data.Count}");
        }

        var values = new T[data.Count];
        data.CopyTo(values, 0);
        return values;
    }

    private int ElementSize(TensorProto.Types.DataType type, string what) => type switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 => 4,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 => 8,
        TensorProto.Types.DataType.Float16 => 2,
        _ => throw new NotSupportedException($"'{_source}': {what} has element type {type}; ConvViz reads float32, float64, float16, int64 and int32 constants."),
    };

    /// <summary>Reads external data from a file in the model's own folder (no directories, no traversal), checking offset and length against the file.</summary>
    private byte[] ReadExternal(TensorProto t, string what, long count, int elementSize)
    {
        var entries = t.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (_directory is null)
        {
            throw new NotSupportedException($"'{_source}': {what} is stored in a separate file; load the model from its path (not a stream) so ConvViz can read it from the model's folder.");
        }

        if (!entries.TryGetValue("location", out var location) || location.Length == 0 || location.Length > 255 ||
            location.IndexOfAny(['/', '\\', ':', '\0']) >= 0 || location is "." or ".." || Path.IsPathRooted(location))
        {
            throw new InvalidDataException(
                $"'{_source}': {what} refers to external data at '{Shorten(entries.GetValueOrDefault("location") ?? string.Empty)}'; ConvViz reads external data only from a plain file name in the model's own folder.");
        }

        var path = Path.Combine(_directory, location);
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null)
        {
            throw new InvalidDataException($"'{_source}': the external data file '{location}' of {what} is missing (or is a link) in '{_directory}'.");
        }

        var offset = entries.TryGetValue("offset", out var o) && long.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedOffset) ? parsedOffset : 0;
        var expected = count * elementSize;
        var length = entries.TryGetValue("length", out var l) && long.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedLength) ? parsedLength : expected;
        if (length != expected || offset < 0 || offset > info.Length || length > info.Length - offset || length > int.MaxValue)
        {
            throw Invalid($"{what} declares {expected} bytes of external data at offset {offset} (length {length}) in '{location}', which holds {info.Length} bytes");
        }

        var buffer = new byte[length];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        stream.Position = offset;
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static long[]? Perm(NodeProto node) => node.Attribute.FirstOrDefault(a => a.Name == "perm")?.Ints.ToArray();

    private string Describe(NodeProto? node) =>
        node is null ? "The model's input" : $"Node '{Shorten(node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? "?")}' ({Shorten(node.OpType)})";

    private InvalidDataException Invalid(string problem) => new($"'{_source}' is not a valid ONNX model: {problem}.");

    /// <summary>Shortens and cleans a name from the file for a message (names are data, not text to trust).</summary>
    internal static string Shorten(string text)
    {
        var clean = new string([.. text.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
        return text.Length > 80 ? clean + "…" : clean;
    }

    /// <summary>A value computed from the image: the layer that computes it, and whether ONNX sees it channels-last (after a layout-only Transpose).</summary>
    private readonly record struct GraphValue(int Layer, bool ChannelsLast);

    /// <summary>A constant's dims and values (floats, or integers for shapes and sizes).</summary>
    private sealed record OnnxConstant(long[] Dims, float[]? Floats, long[]? Ints)
    {
        public long Count => Floats?.Length ?? Ints?.Length ?? 0;
    }
}
