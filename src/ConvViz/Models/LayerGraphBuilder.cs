// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// The one place where layers are named, connected and validated, for <see cref="SequentialBuilder"/>,
/// <see cref="FunctionalBuilder"/> and the model file reader. Layers are kept in topological order: a layer can only
/// take the outputs of layers added before it, so the graph has no cycle by construction. A chain is the special case
/// where each layer takes the previous one.
/// </summary>
internal sealed class LayerGraphBuilder
{
    /// <summary>The input index that stands for the model's input (an image, or a vector).</summary>
    public const int ModelInput = -1;

    private readonly List<LayerSpec> _layers = [];
    private readonly Dictionary<string, int> _nameCounters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
    private readonly List<(int Layer, Model Source, int SourceLayer)> _copies = [];
    private readonly SortedSet<int> _frozen = [];

    public LayerGraphBuilder(ImageShape inputShape)
        : this(LayerShape.FromImage(inputShape))
    {
    }

    /// <summary>Starts a graph whose input has <paramref name="inputShape"/>: an image (height, width, channels) or a vector (features).</summary>
    public LayerGraphBuilder(LayerShape inputShape) => InputShape = inputShape;

    public LayerShape InputShape { get; }

    public IReadOnlyList<LayerSpec> Layers => _layers;

    public int Count => _layers.Count;

    /// <summary>Gets the output shape of a layer, or the model input's shape for <see cref="ModelInput"/>.</summary>
    public LayerShape ShapeOf(int index) => index == ModelInput ? InputShape : _layers[index].OutputShape;

    /// <summary>Gets the name of a layer, or <c>input</c> for <see cref="ModelInput"/>.</summary>
    public string NameOf(int index) => index == ModelInput ? "input" : _layers[index].Name;

    /// <summary>Gets the index of the layer named <paramref name="name"/>, or −2 when there is none.</summary>
    public int IndexOf(string name) => _names.TryGetValue(name, out var index) ? index : -2;

    /// <summary>
    /// Names, checks and defines a layer that takes the outputs of <paramref name="inputs"/>; a failure leaves the graph
    /// unchanged (no name is used up).
    /// </summary>
    /// <returns>The new layer's index.</returns>
    /// <exception cref="ArgumentException">The name is taken, the inputs are wrong in number or not earlier layers, or the options do not fit them.</exception>
    public int Add(LayerOptions layer, IReadOnlyList<int> inputs)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var index = _layers.Count;
        var name = ResolveName(layer.Name, layer.NamePrefix, layer.TypeName);
        ValidateInputs(layer, index, name.Value, inputs);
        var context = new LayerContext(index, name.Value, layer.TypeName, [.. inputs.Select(ShapeOf)], [.. inputs.Select(NameOf)]);
        var definition = layer.Define(context);
        var named = layer.Name == name.Value ? layer : layer with { Name = name.Value };
        _names.Add(name.Value, index);
        _layers.Add(new LayerSpec(named, [.. inputs], context.Inputs, definition));
        if (name.Prefix is not null)
        {
            _nameCounters[name.Prefix] = name.NextCounter;
        }

        return index;
    }

    /// <summary>
    /// Adds the layers of <paramref name="inner"/> (all but its input layer) after <paramref name="input"/>, keeping
    /// their names, options and connections; their weights are copied from <paramref name="inner"/> at
    /// <see cref="Build"/>. A failure leaves the graph unchanged.
    /// </summary>
    /// <returns>The index of the copy of the inner model's output layer.</returns>
    /// <exception cref="ArgumentException">The inner model's input shape differs from <paramref name="input"/>'s, or a name is taken.</exception>
    public int AddModel(Model inner, int input)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ObjectDisposedException.ThrowIf(inner.IsDisposed, inner);
        var shape = ShapeOf(input);
        if (!shape.Equals(inner.InputLayerShape))
        {
            throw new ArgumentException(
                $"The nested model takes input {inner.InputLayerShape}, but '{NameOf(input)}' outputs {shape}. " +
                "Build the nested model for that input shape.",
                nameof(inner));
        }

        var count = _layers.Count;
        var copies = _copies.Count;
        var map = new Dictionary<int, int> { [ModelInput] = input };
        try
        {
            for (var j = 0; j < inner.Specs.Count; j++)
            {
                var spec = inner.Specs[j];
                if (spec.Options.IsModelInput)
                {
                    map[j] = input;
                    continue;
                }

                map[j] = Add(spec.Options, [.. spec.Inputs.Select(k => map[k])]);
                _copies.Add((map[j], inner, j));
                if (!inner.Layers[j].Trainable)
                {
                    // A frozen layer stays frozen in the model it is nested in, as in Keras.
                    _frozen.Add(map[j]);
                }
            }
        }
        catch (ArgumentException ex)
        {
            foreach (var spec in _layers.Skip(count))
            {
                _names.Remove(spec.Name);
            }

            _layers.RemoveRange(count, _layers.Count - count);
            _copies.RemoveRange(copies, _copies.Count - copies);
            _frozen.RemoveWhere(i => i >= count);
            throw new ArgumentException(
                $"The nested model's layers cannot be added: {ex.Message} Nested layers keep their names; rename the outer layer, or build the nested model with other names.",
                nameof(inner),
                ex);
        }

        return map[inner.Specs.Count - 1];
    }

    /// <summary>Marks a layer frozen in the model <see cref="Build"/> creates (<see cref="LayerInfo.Trainable"/> false).</summary>
    public void Freeze(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _layers.Count);
        _frozen.Add(index);
    }

    /// <summary>Gets a value indicating whether <see cref="Freeze"/> marked the layer frozen.</summary>
    public bool IsFrozen(int index) => _frozen.Contains(index);

    /// <summary>Gets the name the next layer of this type would get automatically.</summary>
    public string NextAutomaticName(string prefix, string typeName) => ResolveName(null, prefix, typeName).Value;

    /// <summary>
    /// Checks that every layer leads to <paramref name="output"/>, the last layer (the one output a model has): a layer
    /// that does not would be computed for nothing, or was meant to be connected.
    /// </summary>
    /// <exception cref="ArgumentException">A layer is not connected to the output (the message names it and the fix).</exception>
    public void ValidateConnected(int output)
    {
        var reaches = new bool[_layers.Count];
        reaches[output] = true;
        for (var i = output; i >= 0; i--)
        {
            if (!reaches[i])
            {
                continue;
            }

            foreach (var input in _layers[i].Inputs.Where(j => j != ModelInput))
            {
                reaches[input] = true;
            }
        }

        var stray = Enumerable.Range(0, _layers.Count).FirstOrDefault(i => !reaches[i], -1);
        if (stray >= 0)
        {
            var layer = _layers[stray];
            throw new ArgumentException(
                $"Layer {stray} '{layer.Name}' ({layer.Options.TypeName}, output {layer.OutputShape}) is not connected to the model's output " +
                $"'{_layers[output].Name}' ({_layers[output].Options.TypeName}, output {_layers[output].OutputShape}). Use its output as an input of a later layer, " +
                "or leave it out: a model has one output, and every layer leads to it.");
        }
    }

    /// <summary>
    /// Creates the model from the layers (the last one is the output), with weights from <paramref name="seed"/> (or the
    /// global seed), except the layers of nested models, whose weights (and trainability) are copied from them.
    /// </summary>
    /// <param name="seed">The seed of the initial weights; <see langword="null"/> draws one from the global seed.</param>
    /// <param name="weightsFollow">Whether the caller overwrites every weight next (a model file reader): the random
    /// initializers then leave zeros (see <see cref="Initializers.WeightsFollow"/>).</param>
    /// <returns>The model; the caller owns it.</returns>
    public Model Build(int? seed, bool weightsFollow = false)
    {
        NativeBackend.EnsureLoaded();
        using var generator = (seed ?? SeedStore.Next(SeedComponent.Weights)) is { } s ? new Generator(unchecked((ulong)s)) : null;
        Model model;
        using (weightsFollow ? Initializers.WeightsFollow() : null)
        {
            model = new Model(InputShape, _layers, generator);
        }

        try
        {
            foreach (var (layer, source, sourceLayer) in _copies)
            {
                ObjectDisposedException.ThrowIf(source.IsDisposed, source);
                model.CopyLayerWeights(layer, source, sourceLayer);
            }

            model.SetLayersTrainable(_frozen, false);
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    private void ValidateInputs(LayerOptions layer, int index, string name, IReadOnlyList<int> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count < layer.MinInputs || inputs.Count > layer.MaxInputs)
        {
            var wanted = layer.MaxInputs == int.MaxValue ? $"at least {layer.MinInputs} inputs" : layer.MinInputs == 1 ? "one input" : $"exactly {layer.MinInputs} inputs";
            var given = inputs.Count == 1 ? "1 was given" : $"{inputs.Count} were given";
            throw new ArgumentException(
                $"Layer {index} '{name}' ({layer.TypeName}) takes {wanted}, but {given}" +
                (layer.MinInputs > 1 ? ": a merge combines the outputs of earlier layers (FunctionalBuilder.Add(options, a, b))." : "."),
                "inputs");
        }

        foreach (var input in inputs)
        {
            if (input < ModelInput || input >= index)
            {
                throw new ArgumentException(
                    $"Layer {index} '{name}' ({layer.TypeName}) cannot take the output of layer {input}: a layer takes only the outputs of layers added before it " +
                    $"(0..{index - 1}), which keeps the model free of cycles.",
                    "inputs");
            }

            if (input == ModelInput && _layers.Count > 0 && _layers[0].Options.IsModelInput)
            {
                throw new ArgumentException($"Layer {index} '{name}' ({layer.TypeName}) must take the model's input through its input layer '{_layers[0].Name}'.", "inputs");
            }
        }

        if (layer.IsModelInput && (index != 0 || inputs is not [ModelInput]))
        {
            throw new ArgumentException($"Layer {index} '{name}' ({layer.TypeName}) is a model input; a model has one, layer 0, added by FunctionalBuilder.", "inputs");
        }
    }

    private ResolvedName ResolveName(string? requested, string prefix, string typeName)
    {
        if (requested is not null)
        {
            if (_names.TryGetValue(requested, out var other))
            {
                throw new ArgumentException(
                    $"Layer {_layers.Count} ({typeName}) cannot be named '{requested}': layer {other} already has that name. Layer names must be unique within a model.",
                    "options");
            }

            return new ResolvedName(requested, null, 0);
        }

        _nameCounters.TryGetValue(prefix, out var n);
        while (true)
        {
            var candidate = n == 0 ? prefix : string.Create(CultureInfo.InvariantCulture, $"{prefix}_{n}");
            if (!_names.ContainsKey(candidate))
            {
                return new ResolvedName(candidate, prefix, n + 1);
            }

            n++;
        }
    }

    private readonly record struct ResolvedName(string Value, string? Prefix, int NextCounter);
}
