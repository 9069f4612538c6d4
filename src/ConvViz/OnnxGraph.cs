// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace ConvViz;

/// <summary>
/// Builds an ONNX graph: nodes, constant tensors (initializers) and fresh value names. Names made here contain a '/',
/// which layer names cannot, so they never clash with a layer's value.
/// </summary>
internal sealed class OnnxGraph
{
    private int _counter;

    public GraphProto Graph { get; } = new();

    /// <summary>Gets the number of nodes written so far.</summary>
    public int NodeCount => Graph.Node.Count;

    /// <summary>A new value name, <c>scope/what_k</c>.</summary>
    public string Fresh(string scope, string what) => $"{scope}/{what}_{_counter++}";

    /// <summary>Adds a node and returns its (single) output's name, <paramref name="output"/> or a fresh one.</summary>
    public string Node(string scope, string opType, IEnumerable<string> inputs, string? output = null, params AttributeProto[] attributes)
    {
        output ??= Fresh(scope, opType);
        var node = new NodeProto { OpType = opType, Name = Fresh(scope, opType) };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>Renames the output of the last node from <paramref name="from"/> to <paramref name="to"/> if it produced it; otherwise adds an Identity.</summary>
    public void Name(string scope, string from, string to, int firstNodeOfScope)
    {
        if (from == to)
        {
            return;
        }

        if (Graph.Node.Count > firstNodeOfScope && Graph.Node[^1].Output is [var last] && last == from)
        {
            Graph.Node[^1].Output[0] = to;
            return;
        }

        Node(scope, "Identity", [from], to);
    }

    /// <summary>Adds a float32 initializer and returns its name.</summary>
    public string Floats(string scope, string what, ReadOnlySpan<float> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = Fresh(scope, what), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        var bytes = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
            }
        }

        tensor.RawData = ByteString.CopyFrom(bytes);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a float32 scalar (rank 0) initializer.</summary>
    public string Scalar(string scope, string what, float value) => Floats(scope, what, [value]);

    /// <summary>Adds an int64 vector initializer (shapes, pads, axes).</summary>
    public string Int64s(string scope, string what, params long[] values)
    {
        var tensor = new TensorProto { Name = Fresh(scope, what), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A float32 tensor value of the given shape; a string dimension is symbolic (the batch size).</summary>
    public static ValueInfoProto FloatValue(string name, IEnumerable<object> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
