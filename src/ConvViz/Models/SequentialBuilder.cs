// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// Builds a sequential CNN layer by layer, like <c>keras_model_sequential() %&gt;% layer_conv_2d(...)</c>.
/// Every <c>Add…</c> call validates its arguments and infers the output shape at once, so an impossible layer
/// fails at the call that adds it, with a message naming the layer, its index and the shapes; a failed call leaves
/// the builder unchanged (it does not use up a layer name). The builder is single-use: <see cref="Build"/> returns the model.
/// </summary>
/// <remarks>
/// Layers get Keras' per-model names (<c>conv2d</c>, <c>conv2d_1</c>, <c>max_pooling2d</c>, <c>dense</c>, …) unless
/// their options give a name; names are unique within the model. Weights use Keras' initializers
/// (glorot-uniform kernels, zero biases by default). Without <see cref="WithSeed"/> they come from TorchSharp's
/// global random generator.
/// </remarks>
public sealed class SequentialBuilder
{
    private readonly List<LayerSpec> _layers = [];
    private readonly Dictionary<string, int> _nameCounters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
    private bool _built;

    /// <summary>Starts a model whose input is an image of the given Keras-order shape (height, width, channels).</summary>
    /// <param name="inputShape">The input shape, for example <c>new ImageShape(150, 150, 3)</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="inputShape"/> is the default, unset value.</exception>
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
    /// <exception cref="ArgumentOutOfRangeException">A dimension is zero or negative.</exception>
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

    /// <summary>Gets the seed for weight initialization, or <see langword="null"/> to use TorchSharp's global generator.</summary>
    public int? Seed { get; private set; }

    /// <summary>
    /// Makes weight initialization deterministic: two models built with the same layers and seed have identical
    /// weights. The seed drives a private generator, so TorchSharp's global random state is not touched.
    /// </summary>
    /// <param name="seed">The seed.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder WithSeed(int seed)
    {
        ThrowIfBuilt();
        Seed = seed;
        return this;
    }

    /// <summary>Adds a 2-D convolution with a square kernel, stride 1 and valid padding (Keras <c>layer_conv_2d</c>).</summary>
    /// <param name="filters">Number of output channels; at least 1.</param>
    /// <param name="kernelSize">Kernel height and width; at least 1.</param>
    /// <param name="activation">The activation applied to the output.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="filters"/> or <paramref name="kernelSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The layer does not fit its input (the message names the layer, its index and both shapes).</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddConv2D(int filters, int kernelSize, Activation activation = Activation.Linear)
    {
        ThrowIfBuilt();
        ThrowIfNotPositive(filters, nameof(filters), "conv2d", LayerKind.Conv2D);
        ThrowIfNotPositive(kernelSize, nameof(kernelSize), "conv2d", LayerKind.Conv2D);
        return AddConv2D(new Conv2DOptions { Filters = filters, KernelSize = kernelSize, Activation = activation });
    }

    /// <summary>Adds a 2-D convolution (Keras <c>layer_conv_2d</c>) with every option: strides, padding, dilation, bias, initializers, name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The layer does not fit its input, strides and dilation above 1 are combined, or the name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddConv2D(Conv2DOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfBuilt();
        const LayerKind kind = LayerKind.Conv2D;
        var name = ResolveName(options.Name, "conv2d", kind);
        var input = RequireSpatial(name.Value, kind);
        var (k, s, d) = (options.KernelSize, options.Strides, options.DilationRate);
        if ((s.Height > 1 || s.Width > 1) && (d.Height > 1 || d.Width > 1))
        {
            throw ShapeError(name.Value, kind, input, $"strides {s} cannot be combined with dilation rate {d} (Keras allows only one of them above 1)");
        }

        var outH = ConvArithmetic.OutputSize(input.Height, k.Height, s.Height, d.Height, options.Padding);
        var outW = ConvArithmetic.OutputSize(input.Width, k.Width, s.Width, d.Width, options.Padding);
        if (outH < 1 || outW < 1)
        {
            var extent = $"{ConvArithmetic.EffectiveKernel(k.Height, d.Height)}×{ConvArithmetic.EffectiveKernel(k.Width, d.Width)}";
            throw ShapeError(name.Value, kind, input,
                $"a {k} kernel (extent {extent} with dilation {d}) does not fit a {input.Height}×{input.Width} input; the output would be {FormatShape(outH, outW, options.Filters)}. Use a smaller kernel or Padding.Same");
        }

        var padding = WindowPaddingFor(input, k, s, d, options.Padding);
        var inChannels = input.Channels;
        List<TensorSpec> tensors = [new("kernel", [options.Filters, inChannels, k.Height, k.Width], true)];
        if (options.UseBias)
        {
            tensors.Add(new("bias", [options.Filters], true));
        }

        var layerName = name.Value;
        return Commit(name, new LayerSpec(layerName, kind, input, new LayerShape(checked((int)outH), checked((int)outW), options.Filters), options, tensors,
            g => new Conv2DModule(layerName, inChannels, options, padding, g)));
    }

    /// <summary>Adds 2-D max pooling with Keras' defaults: a 2 × 2 pool, strides 2 and valid padding (Keras <c>layer_max_pooling_2d()</c>).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The layer does not fit its input.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddMaxPooling2D() => AddMaxPooling2D(new Pooling2DOptions());

    /// <summary>Adds 2-D max pooling with strides equal to the pool size and valid padding (Keras <c>layer_max_pooling_2d</c>).</summary>
    /// <param name="poolSize">Pool height and width; at least 1.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="poolSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The layer does not fit its input.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddMaxPooling2D(int poolSize)
    {
        ThrowIfBuilt();
        ThrowIfNotPositive(poolSize, nameof(poolSize), "max_pooling2d", LayerKind.MaxPooling2D);
        return AddMaxPooling2D(new Pooling2DOptions { PoolSize = poolSize });
    }

    /// <summary>Adds 2-D max pooling (Keras <c>layer_max_pooling_2d</c>) with pool size, strides, padding and name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The layer does not fit its input, or the name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddMaxPooling2D(Pooling2DOptions options) => AddPooling(options, LayerKind.MaxPooling2D, "max_pooling2d");

    /// <summary>Adds 2-D average pooling with Keras' defaults: a 2 × 2 pool, strides 2 and valid padding (Keras <c>layer_average_pooling_2d()</c>).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The layer does not fit its input.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddAveragePooling2D() => AddAveragePooling2D(new Pooling2DOptions());

    /// <summary>Adds 2-D average pooling with strides equal to the pool size and valid padding (Keras <c>layer_average_pooling_2d</c>).</summary>
    /// <param name="poolSize">Pool height and width; at least 1.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="poolSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The layer does not fit its input.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddAveragePooling2D(int poolSize)
    {
        ThrowIfBuilt();
        ThrowIfNotPositive(poolSize, nameof(poolSize), "average_pooling2d", LayerKind.AveragePooling2D);
        return AddAveragePooling2D(new Pooling2DOptions { PoolSize = poolSize });
    }

    /// <summary>Adds 2-D average pooling (Keras <c>layer_average_pooling_2d</c>) with pool size, strides, padding and name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The layer does not fit its input, or the name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddAveragePooling2D(Pooling2DOptions options) => AddPooling(options, LayerKind.AveragePooling2D, "average_pooling2d");

    /// <summary>Adds global average pooling (Keras <c>layer_global_average_pooling_2d</c>): (h, w, c) becomes (c).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddGlobalAveragePooling2D() => AddGlobalAveragePooling2D(new LayerOptions());

    /// <summary>Adds global average pooling with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map, or the name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddGlobalAveragePooling2D(LayerOptions options) => AddGlobalPooling(options, max: false);

    /// <summary>Adds global max pooling (Keras <c>layer_global_max_pooling_2d</c>): (h, w, c) becomes (c).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddGlobalMaxPooling2D() => AddGlobalMaxPooling2D(new LayerOptions());

    /// <summary>Adds global max pooling with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map, or the name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddGlobalMaxPooling2D(LayerOptions options) => AddGlobalPooling(options, max: true);

    /// <summary>
    /// Adds a Flatten layer (Keras <c>layer_flatten</c>): (h, w, c) becomes (h·w·c), in Keras' channels-last order
    /// (the channel index varies fastest). A flat input passes unchanged, as in Keras.
    /// </summary>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddFlatten() => AddFlatten(new LayerOptions());

    /// <summary>Adds a Flatten layer with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is taken, or the flattened size exceeds <see cref="int.MaxValue"/>.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddFlatten(LayerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfBuilt();
        const LayerKind kind = LayerKind.Flatten;
        var name = ResolveName(options.Name, "flatten", kind);
        var input = OutputShape;
        var size = input.Dimensions.Aggregate(Int128.One, (product, d) => product * d);
        if (size > int.MaxValue)
        {
            throw ShapeError(name.Value, kind, input, $"the flattened size {size} exceeds {int.MaxValue}");
        }

        var layerName = name.Value;
        return Commit(name, new LayerSpec(layerName, kind, input, new LayerShape((int)size), options, [], _ => new FlattenModule(layerName)));
    }

    /// <summary>Adds a fully connected layer (Keras <c>layer_dense</c>).</summary>
    /// <param name="units">Number of outputs; at least 1.</param>
    /// <param name="activation">The activation applied to the output.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The input is a feature map; add a Flatten or global pooling layer first.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddDense(int units, Activation activation = Activation.Linear)
    {
        ThrowIfBuilt();
        ThrowIfNotPositive(units, nameof(units), "dense", LayerKind.Dense);
        return AddDense(new DenseOptions { Units = units, Activation = activation });
    }

    /// <summary>Adds a fully connected layer (Keras <c>layer_dense</c>) with every option: bias, initializers, name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is a feature map, or the name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddDense(DenseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfBuilt();
        const LayerKind kind = LayerKind.Dense;
        var name = ResolveName(options.Name, "dense", kind);
        var input = OutputShape;
        if (input.IsSpatial)
        {
            throw ShapeError(name.Value, kind, input,
                $"Dense needs a flat input (None, features) and would produce (None, {options.Units}); add AddFlatten() or a global pooling layer before it");
        }

        var inFeatures = input.Channels;
        List<TensorSpec> tensors = [new("kernel", [options.Units, inFeatures], true)];
        if (options.UseBias)
        {
            tensors.Add(new("bias", [options.Units], true));
        }

        var layerName = name.Value;
        return Commit(name, new LayerSpec(layerName, kind, input, new LayerShape(options.Units), options, tensors,
            g => new DenseModule(layerName, inFeatures, options, g)));
    }

    /// <summary>Adds inverted dropout, active only while training (Keras <c>layer_dropout</c>).</summary>
    /// <param name="rate">Fraction of inputs to drop, in [0, 1).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1).</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddDropout(double rate)
    {
        ThrowIfBuilt();
        if (!DropoutOptions.IsValidRate(rate))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"{Describe("dropout", LayerKind.Dropout)}: the rate must be in [0, 1), got {rate.ToString(CultureInfo.InvariantCulture)}.");
        }

        return AddDropout(new DropoutOptions { Rate = rate });
    }

    /// <summary>Adds inverted dropout with a chosen name (Keras <c>layer_dropout</c>).</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddDropout(DropoutOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfBuilt();
        var name = ResolveName(options.Name, "dropout", LayerKind.Dropout);
        var input = OutputShape;
        var layerName = name.Value;
        var rate = options.Rate;
        return Commit(name, new LayerSpec(layerName, LayerKind.Dropout, input, input, options, [], _ => new DropoutModule(layerName, rate)));
    }

    /// <summary>
    /// Adds batch normalization with Keras' defaults (momentum 0.99, epsilon 1e-3, center and scale), over the
    /// channel axis of feature maps or the feature axis of flat inputs (Keras <c>layer_batch_normalization</c>).
    /// Per channel it has 2 trainable (gamma, beta) and 2 non-trainable (moving mean, moving variance) parameters.
    /// </summary>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddBatchNormalization() => AddBatchNormalization(new BatchNormalizationOptions());

    /// <summary>Adds batch normalization (Keras <c>layer_batch_normalization</c>) with every option.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddBatchNormalization(BatchNormalizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfBuilt();
        var name = ResolveName(options.Name, "batch_normalization", LayerKind.BatchNormalization);
        var input = OutputShape;
        var channels = input.Channels;
        List<TensorSpec> tensors = [];
        if (options.Scale)
        {
            tensors.Add(new("gamma", [channels], true));
        }

        if (options.Center)
        {
            tensors.Add(new("beta", [channels], true));
        }

        tensors.Add(new("moving_mean", [channels], false));
        tensors.Add(new("moving_variance", [channels], false));
        var layerName = name.Value;
        return Commit(name, new LayerSpec(layerName, LayerKind.BatchNormalization, input, input, options, tensors,
            _ => new BatchNormModule(layerName, channels, options)));
    }

    /// <summary>Adds a standalone activation layer (Keras <c>layer_activation</c>). Softmax runs over the channel (last Keras) axis.</summary>
    /// <param name="activation">The activation.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="activation"/> is not a defined value.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddActivation(Activation activation) => AddActivation(new ActivationOptions { Activation = activation });

    /// <summary>Adds a standalone activation layer with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public SequentialBuilder AddActivation(ActivationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfBuilt();
        var name = ResolveName(options.Name, "activation", LayerKind.Activation);
        var input = OutputShape;
        var layerName = name.Value;
        var activation = options.Activation;
        return Commit(name, new LayerSpec(layerName, LayerKind.Activation, input, input, options, [], _ => new ActivationModule(layerName, activation)));
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
        using var generator = Seed is { } seed ? new Generator(unchecked((ulong)seed)) : null;
        return new Model(InputShape, _layers, generator);
    }

    /// <summary>Gets the layers added so far (used by loading to check sizes before any native allocation).</summary>
    internal IReadOnlyList<LayerSpec> Layers => _layers;

    /// <summary>Adds a layer from its kind and options object (the inverse of what Save records).</summary>
    internal SequentialBuilder Add(LayerKind kind, object options) => (kind, options) switch
    {
        (LayerKind.Conv2D, Conv2DOptions o) => AddConv2D(o),
        (LayerKind.MaxPooling2D, Pooling2DOptions o) => AddMaxPooling2D(o),
        (LayerKind.AveragePooling2D, Pooling2DOptions o) => AddAveragePooling2D(o),
        (LayerKind.GlobalAveragePooling2D, LayerOptions o) => AddGlobalAveragePooling2D(o),
        (LayerKind.GlobalMaxPooling2D, LayerOptions o) => AddGlobalMaxPooling2D(o),
        (LayerKind.Flatten, LayerOptions o) => AddFlatten(o),
        (LayerKind.Dense, DenseOptions o) => AddDense(o),
        (LayerKind.Dropout, DropoutOptions o) => AddDropout(o),
        (LayerKind.BatchNormalization, BatchNormalizationOptions o) => AddBatchNormalization(o),
        (LayerKind.Activation, ActivationOptions o) => AddActivation(o),
        _ => throw new ArgumentException($"Options of type {options.GetType().Name} do not describe a {kind} layer.", nameof(options)),
    };

    private static WindowPadding WindowPaddingFor(LayerShape input, Size2D kernel, Size2D strides, Size2D dilation, Padding padding)
    {
        if (padding == Padding.Valid)
        {
            return default;
        }

        var (top, bottom) = ConvArithmetic.SamePadding(input.Height, kernel.Height, strides.Height, dilation.Height);
        var (left, right) = ConvArithmetic.SamePadding(input.Width, kernel.Width, strides.Width, dilation.Width);
        return new WindowPadding(top, bottom, left, right);
    }

    private static string FormatShape(params long[] dimensions) => $"(None, {string.Join(", ", dimensions)})";

    private SequentialBuilder AddPooling(Pooling2DOptions options, LayerKind kind, string prefix)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfBuilt();
        var name = ResolveName(options.Name, prefix, kind);
        var input = RequireSpatial(name.Value, kind);
        var (pool, strides) = (options.PoolSize, options.EffectiveStrides);
        var outH = ConvArithmetic.OutputSize(input.Height, pool.Height, strides.Height, 1, options.Padding);
        var outW = ConvArithmetic.OutputSize(input.Width, pool.Width, strides.Width, 1, options.Padding);
        if (outH < 1 || outW < 1)
        {
            throw ShapeError(name.Value, kind, input,
                $"a {pool} pool does not fit a {input.Height}×{input.Width} input; the output would be {FormatShape(outH, outW, input.Channels)}. Use a smaller pool or Padding.Same");
        }

        var padding = WindowPaddingFor(input, pool, strides, 1, options.Padding);
        var layerName = name.Value;
        var output = new LayerShape(checked((int)outH), checked((int)outW), input.Channels);
        return Commit(name, new LayerSpec(layerName, kind, input, output, options, [],
            kind == LayerKind.MaxPooling2D
                ? _ => new MaxPool2DModule(layerName, pool, strides, padding)
                : _ => new AvgPool2DModule(layerName, pool, strides, padding)));
    }

    private SequentialBuilder AddGlobalPooling(LayerOptions options, bool max)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfBuilt();
        var kind = max ? LayerKind.GlobalMaxPooling2D : LayerKind.GlobalAveragePooling2D;
        var name = ResolveName(options.Name, max ? "global_max_pooling2d" : "global_average_pooling2d", kind);
        var input = RequireSpatial(name.Value, kind);
        var layerName = name.Value;
        return Commit(name, new LayerSpec(layerName, kind, input, new LayerShape(input.Channels), options, [], _ => new GlobalPool2DModule(layerName, max)));
    }

    private SequentialBuilder Commit(ResolvedName name, LayerSpec spec)
    {
        _names.Add(spec.Name, _layers.Count);
        _layers.Add(spec);
        if (name.Prefix is not null)
        {
            _nameCounters[name.Prefix] = name.NextCounter;
        }

        return this;
    }

    private ResolvedName ResolveName(string? requested, string prefix, LayerKind kind)
    {
        if (requested is not null)
        {
            if (_names.TryGetValue(requested, out var other))
            {
                throw new ArgumentException(
                    $"Layer {_layers.Count} ({kind}) cannot be named '{requested}': layer {other} already has that name. Layer names must be unique within a model.",
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

    private string Describe(string prefix, LayerKind kind) =>
        $"Layer {_layers.Count} '{ResolveName(null, prefix, kind).Value}' ({kind}) on input shape {OutputShape}";

    private void ThrowIfNotPositive(int value, string paramName, string prefix, LayerKind kind)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{Describe(prefix, kind)}: {paramName} must be at least 1, got {value}.");
        }
    }

    private LayerShape RequireSpatial(string name, LayerKind kind)
    {
        var input = OutputShape;
        if (!input.IsSpatial)
        {
            throw ShapeError(name, kind, input, $"{kind} needs a feature-map input (None, height, width, channels)");
        }

        return input;
    }

    private ArgumentException ShapeError(string name, LayerKind kind, LayerShape input, string reason) =>
        new($"Layer {_layers.Count} '{name}' ({kind}) cannot follow input shape {input}: {reason}.");

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("Cannot add layers after Build(): this builder has already built its model; start a new SequentialBuilder.");
        }
    }

    private readonly record struct ResolvedName(string Value, string? Prefix, int NextCounter);
}
