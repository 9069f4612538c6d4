// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>
/// Builds a sequential CNN layer by layer, like <c>keras_model_sequential() %&gt;% layer_conv_2d(...)</c>.
/// Every <c>Add…</c> call validates its arguments and infers the output shape at once, so an impossible layer
/// fails at the call that adds it. The builder is single-use: <see cref="Build"/> returns the model.
/// </summary>
public sealed class SequentialBuilder
{
    private readonly List<LayerSpec> _layers = [];
    private readonly Dictionary<string, int> _nameCounters = new(StringComparer.Ordinal);
    private bool _built;

    /// <summary>Starts a model whose input is an image of the given Keras-order shape (height, width, channels).</summary>
    /// <param name="inputShape">The input shape, for example <c>new ImageShape(150, 150, 3)</c>.</param>
    public SequentialBuilder(ImageShape inputShape)
    {
        if (inputShape == default)
        {
            throw new ArgumentException("The input shape must be set (height, width, channels).", nameof(inputShape));
        }

        InputShape = inputShape;
    }

    /// <summary>Starts a model whose input is an image of <paramref name="height"/> × <paramref name="width"/> × <paramref name="channels"/>.</summary>
    /// <param name="height">Input height in pixels.</param>
    /// <param name="width">Input width in pixels.</param>
    /// <param name="channels">Input channels (3 for RGB).</param>
    public SequentialBuilder(int height, int width, int channels)
        : this(new ImageShape(height, width, channels))
    {
    }

    /// <summary>Gets the input shape.</summary>
    public ImageShape InputShape { get; }

    /// <summary>Gets the number of layers added so far.</summary>
    public int Count => _layers.Count;

    /// <summary>Gets the output shape of the last layer added (the input shape if there is none).</summary>
    public LayerShape OutputShape => _layers.Count == 0 ? LayerShape.FromImage(InputShape) : _layers[^1].OutputShape;

    /// <summary>Adds a 2-D convolution with a square kernel, stride 1 and valid padding (Keras <c>layer_conv_2d</c>).</summary>
    /// <param name="filters">Number of output channels; at least 1.</param>
    /// <param name="kernelSize">Kernel height and width; at least 1.</param>
    /// <param name="activation">The activation applied to the output.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="filters"/> or <paramref name="kernelSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The layer does not fit its input (named with both shapes).</exception>
    public SequentialBuilder AddConv2D(int filters, int kernelSize, Activation activation = Activation.Linear)
    {
        ThrowIfBuilt();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(filters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        var name = NextName("conv2d");
        var input = RequireSpatial(name, LayerKind.Conv2D);
        var outH = input.Height - kernelSize + 1;
        var outW = input.Width - kernelSize + 1;
        if (outH < 1 || outW < 1)
        {
            throw ShapeError(name, LayerKind.Conv2D, input, $"a {kernelSize}×{kernelSize} kernel does not fit a {input.Height}×{input.Width} input");
        }

        var inChannels = input.Channels;
        var parameters = ((long)kernelSize * kernelSize * inChannels + 1) * filters;
        return Add(new LayerSpec(name, LayerKind.Conv2D, input, new LayerShape(outH, outW, filters), parameters,
            () => new Conv2DModule(name, inChannels, filters, (kernelSize, kernelSize), (1, 1), (0, 0), (1, 1), useBias: true, activation)));
    }

    /// <summary>Adds 2-D max pooling with strides equal to the pool size and valid padding (Keras <c>layer_max_pooling_2d</c>).</summary>
    /// <param name="poolSize">Pool height and width; at least 1.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="poolSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The layer does not fit its input.</exception>
    public SequentialBuilder AddMaxPooling2D(int poolSize = 2)
    {
        ThrowIfBuilt();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(poolSize);
        var name = NextName("max_pooling2d");
        var input = RequireSpatial(name, LayerKind.MaxPooling2D);
        var outH = ((input.Height - poolSize) / poolSize) + 1;
        var outW = ((input.Width - poolSize) / poolSize) + 1;
        if (input.Height < poolSize || input.Width < poolSize)
        {
            throw ShapeError(name, LayerKind.MaxPooling2D, input, $"a {poolSize}×{poolSize} pool does not fit a {input.Height}×{input.Width} input");
        }

        return Add(new LayerSpec(name, LayerKind.MaxPooling2D, input, new LayerShape(outH, outW, input.Channels), 0,
            () => new MaxPool2DModule(name, (poolSize, poolSize), (poolSize, poolSize))));
    }

    /// <summary>Adds a Flatten layer (Keras <c>layer_flatten</c>): [N, C, H, W] becomes [N, C·H·W].</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is already flat.</exception>
    public SequentialBuilder AddFlatten()
    {
        ThrowIfBuilt();
        var name = NextName("flatten");
        var input = RequireSpatial(name, LayerKind.Flatten);
        return Add(new LayerSpec(name, LayerKind.Flatten, input, new LayerShape(checked((int)input.ElementCount)), 0,
            () => new FlattenModule(name)));
    }

    /// <summary>Adds a fully connected layer (Keras <c>layer_dense</c>).</summary>
    /// <param name="units">Number of outputs; at least 1.</param>
    /// <param name="activation">The activation applied to the output.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The input is a feature map; add a Flatten layer first.</exception>
    public SequentialBuilder AddDense(int units, Activation activation = Activation.Linear)
    {
        ThrowIfBuilt();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        var name = NextName("dense");
        var input = OutputShape;
        if (input.IsSpatial)
        {
            throw ShapeError(name, LayerKind.Dense, input, "Dense needs a flat input; add AddFlatten() or a global pooling layer before it");
        }

        var inFeatures = input.Channels;
        return Add(new LayerSpec(name, LayerKind.Dense, input, new LayerShape(units), ((long)inFeatures + 1) * units,
            () => new DenseModule(name, inFeatures, units, useBias: true, activation)));
    }

    /// <summary>Adds inverted dropout, active only while training (Keras <c>layer_dropout</c>).</summary>
    /// <param name="rate">Fraction of inputs to drop, in [0, 1).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1).</exception>
    public SequentialBuilder AddDropout(double rate)
    {
        ThrowIfBuilt();
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }

        var name = NextName("dropout");
        var input = OutputShape;
        return Add(new LayerSpec(name, LayerKind.Dropout, input, input, 0, () => new DropoutModule(name, rate)));
    }

    /// <summary>Creates the model. The builder cannot be used afterwards.</summary>
    /// <returns>The model; the caller owns it and must dispose it.</returns>
    /// <exception cref="InvalidOperationException">No layer was added, or the builder was already built.</exception>
    /// <exception cref="NativeBackendMissingException">TorchSharp's native backend cannot be loaded.</exception>
    public Model Build()
    {
        ThrowIfBuilt();
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException("The model has no layers; add at least one layer before Build().");
        }

        NativeBackend.EnsureLoaded();
        _built = true;
        return new Model(InputShape, _layers);
    }

    private SequentialBuilder Add(LayerSpec spec)
    {
        _layers.Add(spec);
        return this;
    }

    private string NextName(string prefix)
    {
        _nameCounters.TryGetValue(prefix, out var n);
        _nameCounters[prefix] = n + 1;
        return n == 0 ? prefix : $"{prefix}_{n}";
    }

    private LayerShape RequireSpatial(string name, LayerKind kind)
    {
        var input = OutputShape;
        if (!input.IsSpatial)
        {
            throw ShapeError(name, kind, input, $"{kind} needs a feature-map input (height, width, channels)");
        }

        return input;
    }

    private ArgumentException ShapeError(string name, LayerKind kind, LayerShape input, string reason) =>
        new($"Layer {_layers.Count} '{name}' ({kind}) cannot follow input shape {input}: {reason}.");

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("This builder has already built its model; start a new SequentialBuilder.");
        }
    }
}
