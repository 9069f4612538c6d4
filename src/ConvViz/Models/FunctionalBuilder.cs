// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;

namespace ConvViz.Models;

/// <summary>
/// Builds a CNN as a graph of layers, like Keras' functional API: an image input (<see cref="Input"/>, Keras'
/// <c>layer_input(shape)</c>), layers applied to one or more earlier outputs (<see cref="Add(LayerOptions, LayerOutput)"/>),
/// then the model from its output (<see cref="Build"/>, Keras' <c>keras_model(inputs, outputs)</c>). Skip connections
/// come from merges: <c>Add(new AddOptions(), shortcut, x)</c>, <c>Add(new ConcatenateOptions(), a, b)</c>.
/// </summary>
/// <remarks>
/// <para>As in <see cref="SequentialBuilder"/>, each <c>Add</c> checks its options against its inputs' shapes at once (a
/// failed call changes nothing), layers get Keras' automatic names unless their options give one, and names are unique.
/// Layer 0 is the input layer (<c>InputLayer</c>), as in a Keras functional model, so R's
/// <c>get_layer(model, index = i)</c> is <c>GetLayer(i - 1)</c> here too.</para>
/// <para>A model has one image input and one output, and every layer must lead to the output. Each <c>Add</c> creates
/// a new layer with its own weights: a layer applied twice with shared weights is not supported.</para>
/// </remarks>
public sealed class FunctionalBuilder
{
    private readonly LayerGraphBuilder _graph;
    private bool _built;

    /// <summary>Starts a model whose input is an image of the given Keras-order shape (height, width, channels).</summary>
    /// <param name="inputShape">The input shape, for example <c>new ImageShape(32, 32, 3)</c>.</param>
    /// <param name="inputName">The input layer's name; <see langword="null"/> for <c>input_layer</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="inputShape"/> is the default, unset value, or the name is not valid.</exception>
    public FunctionalBuilder(ImageShape inputShape, string? inputName = null)
    {
        if (inputShape == default)
        {
            throw new ArgumentException("The input shape must be set (height, width, channels).", nameof(inputShape));
        }

        _graph = new LayerGraphBuilder(inputShape);
        var index = _graph.Add(new InputLayerOptions { Name = inputName }, [LayerGraphBuilder.ModelInput]);
        Input = Output(index);
    }

    /// <summary>
    /// Starts a model whose input has the given Keras-order shape: (height, width, channels) for images, or (features)
    /// for vectors (Keras' <c>layer_input(shape = c(784))</c> is <c>new LayerShape(784)</c>). The input layer is named
    /// <c>input_layer</c>.
    /// </summary>
    /// <param name="inputShape">The input shape of one sample.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inputShape"/> is <see langword="null"/>.</exception>
    public FunctionalBuilder(LayerShape inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        _graph = new LayerGraphBuilder(inputShape);
        var index = _graph.Add(new InputLayerOptions(), [LayerGraphBuilder.ModelInput]);
        Input = Output(index);
    }

    /// <summary>Gets the input image's shape.</summary>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="InputLayerShape"/>).</exception>
    public ImageShape InputShape => InputLayerShape.IsSpatial ? InputLayerShape.ToImage()
        : throw new InvalidOperationException($"The model takes vectors (Keras input shape {InputLayerShape}), not images; read InputLayerShape.");

    /// <summary>Gets the input shape of one sample: (height, width, channels) for images, (features) for vectors.</summary>
    public LayerShape InputLayerShape => _graph.InputShape;

    /// <summary>Gets the model's input: the output of layer 0, the input layer.</summary>
    public LayerOutput Input { get; }

    /// <summary>Gets the number of layers added so far, the input layer included.</summary>
    public int Count => _graph.Count;

    /// <summary>Gets the seed for weight initialization (see <see cref="SequentialBuilder.Seed"/>).</summary>
    public int? Seed { get; private set; }

    /// <summary>Makes weight initialization deterministic (see <see cref="SequentialBuilder.WithSeed"/>).</summary>
    /// <param name="seed">The seed.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public FunctionalBuilder WithSeed(int seed)
    {
        ThrowIfBuilt();
        Seed = seed;
        return this;
    }

    /// <summary>Adds a layer that takes one earlier output (Keras: <c>x = layer(x)</c>).</summary>
    /// <param name="layer">The layer's options (any layer type but the merges); a <see langword="null"/> name gets the next automatic name.</param>
    /// <param name="input">The output it takes.</param>
    /// <returns>The new layer's output.</returns>
    /// <exception cref="ArgumentException">The layer does not fit its input (the message names both layers and shapes), the
    /// input comes from another builder, or the name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder has already built its model.</exception>
    public LayerOutput Add(LayerOptions layer, LayerOutput input) => Add(layer, [input]);

    /// <summary>Adds a layer that takes several earlier outputs: a merge (<see cref="AddOptions"/>, <see cref="ConcatenateOptions"/>, …).</summary>
    /// <param name="layer">The layer's options.</param>
    /// <param name="inputs">The outputs it takes, in order.</param>
    /// <returns>The new layer's output.</returns>
    /// <exception cref="ArgumentException">The inputs' shapes do not fit the layer (the message names every input layer and
    /// shape), an input comes from another builder, the number of inputs is wrong, or the name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder has already built its model.</exception>
    public LayerOutput Add(LayerOptions layer, params IReadOnlyList<LayerOutput> inputs)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(inputs);
        ThrowIfBuilt();
        if (layer.IsModelInput)
        {
            throw new ArgumentException("A model has one input layer, which FunctionalBuilder creates: start from builder.Input.", nameof(layer));
        }

        var indices = new int[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), "An input is null.");
            if (!ReferenceEquals(input.Owner, this))
            {
                throw new ArgumentException(
                    $"Input '{input.LayerName}' {input.Shape} of the new {layer.TypeName} layer belongs to another FunctionalBuilder: a model can only connect its own layers. " +
                    "Add the layers to this builder, or nest a whole model (its layers are copied).",
                    nameof(inputs));
            }

            indices[i] = input.Index;
        }

        return Output(_graph.Add(layer, indices));
    }

    /// <summary>
    /// Applies a whole model to an earlier output (Keras: <c>x = conv_base(x)</c>): its layers (all but its input layer)
    /// are copied with their names, options and connections, and, at <see cref="Build"/>, their current weights. The
    /// inner layers stay addressable by name and index; the built model does not share weights with <paramref name="model"/>.
    /// </summary>
    /// <param name="model">The model to nest; keep it undisposed until <see cref="Build"/>.</param>
    /// <param name="input">The output it takes.</param>
    /// <returns>The output of the nested model's last layer.</returns>
    /// <exception cref="ArgumentException">The nested model's input shape is not the input's shape, the input comes from
    /// another builder, or one of its layer names is taken (the builder is left unchanged).</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="model"/> is disposed.</exception>
    public LayerOutput Add(Model model, LayerOutput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ThrowIfBuilt();
        if (!ReferenceEquals(input.Owner, this))
        {
            throw new ArgumentException($"Input '{input.LayerName}' {input.Shape} of the nested model belongs to another FunctionalBuilder.", nameof(input));
        }

        return Output(_graph.AddModel(model, input.Index));
    }

    /// <summary>Creates the model whose output is <paramref name="output"/>. The builder cannot be used afterwards.</summary>
    /// <param name="output">The model's output: the last layer added.</param>
    /// <returns>The model; the caller owns it and must dispose it.</returns>
    /// <exception cref="ArgumentException">The output is not the last layer added, comes from another builder, or a layer
    /// does not lead to it (the message names the layer).</exception>
    /// <exception cref="InvalidOperationException">No layer was added after the input, or the builder was already built.</exception>
    /// <exception cref="NativeBackendMissingException">TorchSharp's native backend cannot be loaded.</exception>
    public Model Build(LayerOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ThrowIfBuilt();
        if (!ReferenceEquals(output.Owner, this))
        {
            throw new ArgumentException($"The output '{output.LayerName}' belongs to another FunctionalBuilder.", nameof(output));
        }

        if (_graph.Count == 1)
        {
            throw new InvalidOperationException("The model has only its input layer; add at least one layer before Build().");
        }

        if (output.Index != _graph.Count - 1)
        {
            var last = _graph.Layers[^1];
            throw new ArgumentException(
                $"The output '{output.LayerName}' {output.Shape} is not the last layer added ('{last.Name}' {last.OutputShape}): a model has one output, " +
                "and every layer must lead to it. Build from the last layer, or leave out the layers after the output.",
                nameof(output));
        }

        _graph.ValidateConnected(output.Index);
        _built = true;
        return _graph.Build(Seed);
    }

    private LayerOutput Output(int index) => new(this, index, _graph.NameOf(index), _graph.ShapeOf(index));

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("Cannot add layers after Build(): this builder has already built its model; start a new FunctionalBuilder.");
        }
    }
}
