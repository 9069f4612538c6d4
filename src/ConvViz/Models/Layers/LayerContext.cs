// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>Where a layer is being added: its index, resolved name, type and input shape; builds the errors that name them.</summary>
/// <param name="Index">The 0-based layer index.</param>
/// <param name="Name">The resolved (unique) layer name.</param>
/// <param name="TypeName">The layer type (Keras class name).</param>
/// <param name="Input">The input shape.</param>
internal sealed record LayerContext(int Index, string Name, string TypeName, LayerShape Input)
{
    /// <summary>An error saying why the layer cannot follow its input.</summary>
    public ArgumentException ShapeError(string reason) => new($"Layer {Index} '{Name}' ({TypeName}) cannot follow input shape {Input}: {reason}.");

    /// <summary>Returns the input when it is a feature map, otherwise throws.</summary>
    public LayerShape RequireSpatial() =>
        Input.IsSpatial ? Input : throw ShapeError($"{TypeName} needs a feature-map input (None, height, width, channels)");

    /// <summary>Formats dimensions as a Keras shape, <c>(None, 2, 2, 4)</c>.</summary>
    public static string FormatShape(params long[] dimensions) => $"(None, {string.Join(", ", dimensions)})";

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
