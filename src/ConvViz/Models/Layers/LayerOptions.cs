// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Reflection;

namespace ConvViz.Models.Layers;

/// <summary>
/// The options of one layer of a sequential model, and the layer's definition: each derived record is one layer type
/// (Keras class name in <see cref="TypeName"/>), with its shape rule, its parameters, its TorchSharp module and its
/// fields in the model file, all in one file of <c>Models/Layers</c>. Add it with <c>SequentialBuilder.Add</c>
/// or an <c>AddX</c> shorthand. Copies with <c>with</c> are validated like new values.
/// </summary>
public abstract record LayerOptions
{
    private protected LayerOptions()
    {
    }

    /// <summary>Gets the layer name; <see langword="null"/> for the next automatic name (for example <c>conv2d</c>, <c>conv2d_1</c>, …).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentException">The name is not 1–128 ASCII letters, digits, '_' or '-' starting with a letter.</exception>
    public string? Name { get; init => field = LayerNames.Validate(value, nameof(Name)); }

    /// <summary>Gets the layer type: Keras' class name (<c>Conv2D</c>, <c>Dense</c>, …), shown in summaries and stored in model files.</summary>
    public string TypeName => LayerTypeAttribute.Of(GetType()).TypeName;

    /// <summary>
    /// Gets a value indicating whether the layer slides learned filters over feature maps, one output channel per
    /// filter (a convolution, such as <c>Conv2D</c>): its weight <c>kernel</c> has the TorchSharp shape
    /// [filters, input channels, kernel height, kernel width], which <c>FilterGrid</c> draws, and the last such layer
    /// before the classifier is the default Grad-CAM layer. Each layer type declares it in its own file.
    /// </summary>
    public abstract bool HasFilters { get; }

    /// <summary>
    /// Gets a value indicating whether the layer acts only while training (such as <c>Dropout</c>): in evaluation and
    /// inference its output equals its input, so its feature maps are its input's and are not drawn again. Each layer
    /// type declares it in its own file.
    /// </summary>
    public abstract bool IsTrainingOnly { get; }

    /// <summary>Gets the fewest inputs the layer takes: 1, or 2 for the merges (<c>Add</c>, <c>Concatenate</c>, …).</summary>
    internal virtual int MinInputs => 1;

    /// <summary>Gets the most inputs the layer takes: 1, or <see cref="int.MaxValue"/> for the merges.</summary>
    internal virtual int MaxInputs => 1;

    /// <summary>Gets a value indicating whether the layer is the model's input (Keras' <c>InputLayer</c>): it takes the image itself and passes it on.</summary>
    internal virtual bool IsModelInput => false;

    /// <summary>Gets the prefix of automatic names (Keras' snake-case name: <c>conv2d</c>, <c>max_pooling2d</c>, …).</summary>
    internal string NamePrefix => LayerTypeAttribute.Of(GetType()).NamePrefix;

    /// <summary>
    /// Checks the options against the input and defines the layer: output shape, parameter tensors and module factory.
    /// Cross-field rules (for example strides with dilation) are checked here, in one place per layer.
    /// </summary>
    /// <param name="context">The position, resolved name and input shape of the layer.</param>
    /// <returns>The definition.</returns>
    /// <exception cref="ArgumentException">The options do not fit the input (the message names the layer and both shapes).</exception>
    internal abstract LayerDefinition Define(LayerContext context);

    /// <summary>Throws when a size is empty.</summary>
    private protected static void ThrowIfEmpty(Size2D value, string name)
    {
        if (value.IsEmpty)
        {
            throw new ArgumentOutOfRangeException(name, value, "The size must be at least 1 × 1.");
        }
    }

    /// <summary>Throws when an enum value is not a defined member.</summary>
    private protected static void ThrowIfUndefined<T>(T value, string name)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"Unknown {typeof(T).Name} value; use one of {string.Join(", ", Enum.GetNames<T>())}.");
        }
    }

    /// <summary>
    /// Writes the layer as ONNX nodes (for <c>Model.ExportOnnx</c>) and returns the name of its output value.
    /// Each layer type maps itself in its own file; a type without a mapping is refused, naming the layer.
    /// </summary>
    /// <param name="onnx">The writer, positioned at this layer.</param>
    /// <param name="inputs">The names of the layer's input values, in order (NCHW feature maps or [N, features]).</param>
    /// <returns>The name of the value holding the layer's output.</returns>
    /// <exception cref="NotSupportedException">The layer cannot be exported (the message names it and the reason).</exception>
    internal virtual string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        throw onnx.NotSupported($"the exporter has no mapping for {TypeName} layers");

    /// <summary>Writes the options' fields (not the type and name, which the caller writes) to the model file's architecture.</summary>
    /// <param name="writer">The writer.</param>
    internal abstract void WriteFields(LayerWriter writer);
}

/// <summary>
/// Names a layer options record's stable file type string (Keras' class name) and its automatic name prefix. The
/// record must also declare <c>internal static TOptions Read(LayerReader reader)</c>; <see cref="LayerRegistry"/> finds both.
/// Never rename a type string: saved models refer to it.
/// </summary>
/// <param name="typeName">The type string (Keras' class name).</param>
/// <param name="namePrefix">The prefix of automatic names.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class LayerTypeAttribute(string typeName, string namePrefix) : Attribute
{
    public string TypeName { get; } = typeName;

    public string NamePrefix { get; } = namePrefix;

    public static LayerTypeAttribute Of(Type type) => type.GetCustomAttribute<LayerTypeAttribute>()
        ?? throw new InvalidOperationException($"Layer options type {type.Name} has no [LayerType] attribute.");
}
