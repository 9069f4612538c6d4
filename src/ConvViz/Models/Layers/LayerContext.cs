// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Where a layer is being added: its index, resolved name, type and inputs (their shapes, and the names of the layers
/// that produce them); builds the errors that name them.
/// </summary>
/// <param name="Index">The 0-based layer index.</param>
/// <param name="Name">The resolved (unique) layer name.</param>
/// <param name="TypeName">The layer type (Keras class name).</param>
/// <param name="Inputs">The input shapes, in the order the layer takes them (one for every layer but the merges).</param>
/// <param name="InputNames">The names of the layers that produce the inputs (<c>input</c> for the model's input).</param>
internal sealed record LayerContext(int Index, string Name, string TypeName, IReadOnlyList<LayerShape> Inputs, IReadOnlyList<string> InputNames)
{
    /// <summary>A context with one input produced by the layer (or model input) <paramref name="inputName"/>.</summary>
    public LayerContext(int index, string name, string typeName, LayerShape input, string inputName = "input")
        : this(index, name, typeName, [input], [inputName])
    {
    }

    /// <summary>Gets the (first) input shape: the only one, for every layer but the merges.</summary>
    public LayerShape Input => Inputs[0];

    /// <summary>An error saying why the layer cannot follow its input (merges: its inputs, each with its producer and shape).</summary>
    public ArgumentException ShapeError(string reason) => new(Inputs.Count == 1
        ? $"Layer {Index} '{Name}' ({TypeName}) cannot follow input shape {Input}: {reason}."
        : $"Layer {Index} '{Name}' ({TypeName}) cannot merge {DescribeInputs()}: {reason}.");

    /// <summary>Lists the inputs as <c>'conv2d' (None, 8, 8, 16) and 'conv2d_1' (None, 8, 8, 32)</c>.</summary>
    public string DescribeInputs()
    {
        var parts = Inputs.Select((shape, i) => $"'{InputNames[i]}' {shape}").ToArray();
        return parts.Length <= 2 ? string.Join(" and ", parts) : string.Join(", ", parts[..^1]) + " and " + parts[^1];
    }

    /// <summary>An error about the layer's own options (cross-field rules), naming the layer.</summary>
    public ArgumentException OptionsError(string reason) => new($"Layer {Index} '{Name}' ({TypeName}): {reason}.");

    /// <summary>Returns the input when it is a feature map, otherwise throws.</summary>
    public LayerShape RequireSpatial() =>
        Input.IsSpatial ? Input : throw ShapeError($"{TypeName} needs a feature-map input (None, height, width, channels)");

    /// <summary>Formats dimensions as a Keras shape, <c>(None, 2, 2, 4)</c>.</summary>
    public static string FormatShape(params long[] dimensions) => $"(None, {string.Join(", ", dimensions)})";

    /// <summary>
    /// The padding of a window and the output size it gives: <paramref name="explicitPadding"/> when set (refused with
    /// <see cref="Padding.Same"/>), otherwise TensorFlow's 'same' padding or none. The sizes are 0 or less when the
    /// window does not fit.
    /// </summary>
    public (long Height, long Width, WindowPadding Padding) Window(Size2D kernel, Size2D strides, Size2D dilation, Padding padding, Padding2D? explicitPadding)
    {
        var input = Input;
        if (explicitPadding is not { } p)
        {
            return (
                ConvArithmetic.OutputSize(input.Height, kernel.Height, strides.Height, dilation.Height, padding),
                ConvArithmetic.OutputSize(input.Width, kernel.Width, strides.Width, dilation.Width, padding),
                WindowPaddingFor(kernel, strides, dilation, padding));
        }

        if (padding != Padding.Valid)
        {
            throw OptionsError(
                $"ExplicitPadding {p} replaces Padding, so it cannot be combined with Padding.{padding}. Leave Padding at Valid, or set ExplicitPadding to null for TensorFlow's 'same' padding");
        }

        return (
            ConvArithmetic.OutputSize(input.Height, kernel.Height, strides.Height, dilation.Height, p.Top, p.Bottom),
            ConvArithmetic.OutputSize(input.Width, kernel.Width, strides.Width, dilation.Width, p.Left, p.Right),
            new WindowPadding(p.Top, p.Bottom, p.Left, p.Right));
    }

    /// <summary>TensorFlow's 'same' padding for a window (zero for 'valid').</summary>
    public WindowPadding WindowPaddingFor(Size2D kernel, Size2D strides, Size2D dilation, Padding padding)
    {
        if (padding == Padding.Valid)
        {
            return default;
        }

        var (top, bottom) = ConvArithmetic.SamePadding(Input.Height, kernel.Height, strides.Height, dilation.Height);
        var (left, right) = ConvArithmetic.SamePadding(Input.Width, kernel.Width, strides.Width, dilation.Width);
        return new WindowPadding(top, bottom, left, right);
    }
}

/// <summary>What a layer's options define for a given input: output shape, parameter tensors, and how to create the module.</summary>
/// <param name="Output">The output shape.</param>
/// <param name="Tensors">The parameters and buffers, in file order.</param>
/// <param name="CreateModule">Creates the initialised module (with the builder's seeded generator, if any).</param>
internal sealed record LayerDefinition(LayerShape Output, IReadOnlyList<TensorSpec> Tensors, Func<Generator?, LayerModule> CreateModule)
{
    /// <summary>A layer without parameters.</summary>
    public LayerDefinition(LayerShape output, Func<LayerModule> createModule)
        : this(output, [], _ => createModule())
    {
    }
}

/// <summary>A named tensor of a layer (parameter or buffer) with its TorchSharp shape.</summary>
/// <param name="Name">The tensor name inside the layer (<c>kernel</c>, <c>bias</c>, <c>gamma</c>, <c>moving_mean</c>, …).</param>
/// <param name="Shape">The TorchSharp (channels-first) shape.</param>
/// <param name="Trainable">Whether the tensor is a trainable parameter (false for moving statistics).</param>
internal sealed record TensorSpec(string Name, long[] Shape, bool Trainable)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));
}

/// <summary>Explicit padding (left, right, top, bottom) for windows whose TensorFlow 'same' padding is asymmetric.</summary>
internal readonly record struct WindowPadding(int Top, int Bottom, int Left, int Right)
{
    public bool IsZero => Top == 0 && Bottom == 0 && Left == 0 && Right == 0;

    public bool IsSymmetric => Top == Bottom && Left == Right;

    public long[] ToPadArgument() => [Left, Right, Top, Bottom];
}
