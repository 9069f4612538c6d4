// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using ConvViz.Models.Layers;

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
    private readonly LayerGraphBuilder _graph;
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

        _graph = new LayerGraphBuilder(inputShape);
    }

    /// <summary>
    /// Starts a model whose input has the given Keras-order shape: (height, width, channels) for images, or (features)
    /// for vectors, like R keras' <c>layer_dense(units = 512, input_shape = c(784))</c> (<c>new LayerShape(784)</c>).
    /// </summary>
    /// <param name="inputShape">The input shape of one sample.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inputShape"/> is <see langword="null"/>.</exception>
    public SequentialBuilder(LayerShape inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        _graph = new LayerGraphBuilder(inputShape);
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

    /// <summary>Gets the input image's shape.</summary>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="InputLayerShape"/>).</exception>
    public ImageShape InputShape => InputLayerShape.IsSpatial ? InputLayerShape.ToImage()
        : throw new InvalidOperationException($"The model takes vectors (Keras input shape {InputLayerShape}), not images; read InputLayerShape.");

    /// <summary>Gets the input shape of one sample: (height, width, channels) for images, (features) for vectors.</summary>
    public LayerShape InputLayerShape => _graph.InputShape;

    /// <summary>Gets the number of layers added so far.</summary>
    public int Count => _graph.Count;

    /// <summary>Gets the output shape of the last layer added (the input shape if there is none).</summary>
    public LayerShape OutputShape => _graph.ShapeOf(_graph.Count - 1);

    /// <summary>
    /// Gets the seed for weight initialization, or <see langword="null"/> for the next seed drawn from the global seed
    /// of <see cref="ConvVizRuntime.Seed"/> or, when none is set, TorchSharp's global generator.
    /// </summary>
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

    /// <summary>
    /// Adds a layer: the options' record type is the layer type (<see cref="Conv2DOptions"/>, <see cref="DenseOptions"/>, …).
    /// The shape rule runs at once, so an impossible layer fails here, naming the layer, its index and the shapes. The
    /// <c>AddX</c> methods are one-line shorthands for this method.
    /// </summary>
    /// <param name="layer">The layer's options; a <see langword="null"/> <see cref="LayerOptions.Name"/> gets the next automatic name.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The layer cannot follow the current output shape, or its name is taken.</exception>
    /// <exception cref="InvalidOperationException">The builder has already built its model.</exception>
    public SequentialBuilder Add(LayerOptions layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ThrowIfBuilt();
        if (layer.MinInputs > 1 || layer.IsModelInput)
        {
            throw new ArgumentException(
                $"A sequential model cannot hold a {layer.TypeName} layer: it {(layer.IsModelInput ? "is a functional model's input" : "merges several earlier layers")}. Build the model with FunctionalBuilder.",
                nameof(layer));
        }

        // The previous layer, or the model's input (LayerGraphBuilder.ModelInput = -1) for the first one.
        _graph.Add(layer, [_graph.Count - 1]);
        return this;
    }

    /// <summary>
    /// Adds a whole model as the next part of this one (Keras' <c>keras_model_sequential() %&gt;% conv_base %&gt;% …</c>):
    /// its layers (all but a functional model's input layer) are copied with their names, options and connections,
    /// and, at <see cref="Build"/>, their current weights. The inner layers stay addressable by name and index, as
    /// keract's <c>nested = TRUE</c> shows them; the built model does not share weights with <paramref name="model"/>.
    /// </summary>
    /// <param name="model">The model to nest; keep it undisposed until <see cref="Build"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The nested model's input shape is not the current output shape, or one of its
    /// layer names is taken (the builder is left unchanged).</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="model"/> is disposed.</exception>
    public SequentialBuilder AddModel(Model model)
    {
        ThrowIfBuilt();
        _graph.AddModel(model, _graph.Count - 1);
        return this;
    }

    /// <summary>Creates the model. The builder cannot be used afterwards.</summary>
    /// <returns>The model; the caller owns it and must dispose it.</returns>
    /// <exception cref="InvalidOperationException">No layer was added, or the builder was already built.</exception>
    /// <exception cref="NativeBackendMissingException">TorchSharp's native backend cannot be loaded.</exception>
    public Model Build()
    {
        ThrowIfBuilt();
        if (_graph.Count == 0)
        {
            throw new InvalidOperationException("The model has no layers; add at least one layer before Build().");
        }

        NativeBackend.EnsureLoaded();
        _built = true;
        return _graph.Build(Seed);
    }

    /// <summary>Adds a standalone activation (Keras <c>layer_activation(activation)</c>).</summary>
    /// <param name="activation">The activation.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The activation is not an <see cref="Activation"/> member.</exception>
    public SequentialBuilder AddActivation(Activation activation) =>
        Add(() => new ActivationOptions { Activation = activation }, nameof(activation));

    /// <summary>Adds a standalone activation with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public SequentialBuilder AddActivation(ActivationOptions options) => Add(options);

    /// <summary>Adds 2 × 2 average pooling (Keras <c>layer_average_pooling_2d()</c>).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map or is smaller than the pool.</exception>
    public SequentialBuilder AddAveragePooling2D() => Add(new AveragePooling2DOptions());

    /// <summary>Adds average pooling with a square pool (strides equal to the pool).</summary>
    /// <param name="poolSize">The pool size; at least 1.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The pool size is below 1.</exception>
    /// <exception cref="ArgumentException">The input is not a feature map or is smaller than the pool.</exception>
    public SequentialBuilder AddAveragePooling2D(int poolSize) =>
        Add(() => new AveragePooling2DOptions { PoolSize = poolSize }, nameof(poolSize));

    /// <summary>Adds average pooling with all of Keras' arguments.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The options do not fit the input, or the name is taken.</exception>
    public SequentialBuilder AddAveragePooling2D(AveragePooling2DOptions options) => Add(options);

    /// <summary>Adds batch normalization with Keras' defaults (Keras <c>layer_batch_normalization()</c>).</summary>
    /// <returns>This builder.</returns>
    public SequentialBuilder AddBatchNormalization() => Add(new BatchNormalizationOptions());

    /// <summary>Adds batch normalization with all of Keras' arguments.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public SequentialBuilder AddBatchNormalization(BatchNormalizationOptions options) => Add(options);

    /// <summary>Adds a 2-D convolution (Keras <c>layer_conv_2d(filters, kernel_size, activation)</c>).</summary>
    /// <param name="filters">The number of output channels; at least 1.</param>
    /// <param name="kernelSize">The square kernel size; at least 1.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1 (the message names the layer and its input shape).</exception>
    /// <exception cref="ArgumentException">The kernel does not fit the input.</exception>
    public SequentialBuilder AddConv2D(int filters, int kernelSize, Activation activation = Activation.Linear) =>
        Add(() => new Conv2DOptions { Filters = filters, KernelSize = kernelSize, Activation = activation }, nameof(filters), nameof(kernelSize));

    /// <summary>Adds a 2-D convolution with all of Keras' arguments.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The options do not fit the input, or the name is taken.</exception>
    public SequentialBuilder AddConv2D(Conv2DOptions options) => Add(options);

    /// <summary>Adds a fully connected layer (Keras <c>layer_dense(units, activation)</c>).</summary>
    /// <param name="units">The number of outputs; at least 1.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The input is a feature map (add a flatten or global pooling layer first).</exception>
    public SequentialBuilder AddDense(int units, Activation activation = Activation.Linear) =>
        Add(() => new DenseOptions { Units = units, Activation = activation }, nameof(units));

    /// <summary>Adds a fully connected layer with all of Keras' arguments.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is a feature map, or the name is taken.</exception>
    public SequentialBuilder AddDense(DenseOptions options) => Add(options);

    /// <summary>Adds inverted dropout (Keras <c>layer_dropout(rate)</c>).</summary>
    /// <param name="rate">The fraction dropped while training, in [0, 1).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1) (the message names the layer).</exception>
    public SequentialBuilder AddDropout(double rate) =>
        Add(() => new DropoutOptions { Rate = rate }, nameof(rate));

    /// <summary>Adds inverted dropout with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public SequentialBuilder AddDropout(DropoutOptions options) => Add(options);

    /// <summary>Adds a flatten layer (Keras <c>layer_flatten()</c>).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The flattened size exceeds <see cref="int.MaxValue"/>.</exception>
    public SequentialBuilder AddFlatten() => Add(new FlattenOptions());

    /// <summary>Adds a flatten layer with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The flattened size is too large, or the name is taken.</exception>
    public SequentialBuilder AddFlatten(FlattenOptions options) => Add(options);

    /// <summary>Adds global average pooling (Keras <c>layer_global_average_pooling_2d()</c>).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map.</exception>
    public SequentialBuilder AddGlobalAveragePooling2D() => Add(new GlobalAveragePooling2DOptions());

    /// <summary>Adds global average pooling with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map, or the name is taken.</exception>
    public SequentialBuilder AddGlobalAveragePooling2D(GlobalAveragePooling2DOptions options) => Add(options);

    /// <summary>Adds global maximum pooling (Keras <c>layer_global_max_pooling_2d()</c>).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map.</exception>
    public SequentialBuilder AddGlobalMaxPooling2D() => Add(new GlobalMaxPooling2DOptions());

    /// <summary>Adds global maximum pooling with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map, or the name is taken.</exception>
    public SequentialBuilder AddGlobalMaxPooling2D(GlobalMaxPooling2DOptions options) => Add(options);

    /// <summary>Adds 2 × 2 max pooling (Keras <c>layer_max_pooling_2d()</c>).</summary>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map or is smaller than the pool.</exception>
    public SequentialBuilder AddMaxPooling2D() => Add(new MaxPooling2DOptions());

    /// <summary>Adds max pooling with a square pool (strides equal to the pool).</summary>
    /// <param name="poolSize">The pool size; at least 1.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The pool size is below 1.</exception>
    /// <exception cref="ArgumentException">The input is not a feature map or is smaller than the pool.</exception>
    public SequentialBuilder AddMaxPooling2D(int poolSize) =>
        Add(() => new MaxPooling2DOptions { PoolSize = poolSize }, nameof(poolSize));

    /// <summary>Adds max pooling with all of Keras' arguments.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The options do not fit the input, or the name is taken.</exception>
    public SequentialBuilder AddMaxPooling2D(MaxPooling2DOptions options) => Add(options);

    /// <summary>Adds a depthwise convolution (Keras <c>layer_depthwise_conv_2d(kernel_size, depth_multiplier, activation)</c>).</summary>
    /// <param name="kernelSize">The square kernel's side; at least 1.</param>
    /// <param name="depthMultiplier">Kernels per input channel; at least 1.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (the message names the layer).</exception>
    /// <exception cref="ArgumentException">The input is not a feature map or is smaller than the kernel.</exception>
    public SequentialBuilder AddDepthwiseConv2D(int kernelSize, int depthMultiplier = 1, Activation activation = Activation.Linear) =>
        Add(() => new DepthwiseConv2DOptions { KernelSize = kernelSize, DepthMultiplier = depthMultiplier, Activation = activation }, nameof(kernelSize), nameof(depthMultiplier));

    /// <summary>Adds a depthwise convolution with all of Keras' arguments.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The options do not fit the input, or the name is taken.</exception>
    public SequentialBuilder AddDepthwiseConv2D(DepthwiseConv2DOptions options) => Add(options);

    /// <summary>Adds Keras' <c>ReLU</c> layer (<c>layer_activation_relu(max_value, negative_slope, threshold)</c>).</summary>
    /// <param name="maxValue">The cap, or <see langword="null"/> for none; at least 0.</param>
    /// <param name="negativeSlope">The slope below the threshold; at least 0.</param>
    /// <param name="threshold">The threshold.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (the message names the layer).</exception>
    public SequentialBuilder AddReLU(double? maxValue = null, double negativeSlope = 0, double threshold = 0) =>
        Add(() => new ReLUOptions { MaxValue = maxValue, NegativeSlope = negativeSlope, Threshold = threshold }, nameof(maxValue), nameof(negativeSlope), nameof(threshold));

    /// <summary>Adds Keras' <c>ReLU</c> layer with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public SequentialBuilder AddReLU(ReLUOptions options) => Add(options);

    /// <summary>Adds Keras' <c>Rescaling</c> layer, x · <paramref name="scale"/> + <paramref name="offset"/> (<c>layer_rescaling(scale, offset)</c>).</summary>
    /// <param name="scale">The factor; not 0 (in C#, <c>1 / 255</c> is 0: write <c>1.0 / 255</c>).</param>
    /// <param name="offset">The value added after scaling.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (the message names the layer).</exception>
    public SequentialBuilder AddRescaling(double scale, double offset = 0) =>
        Add(() => new RescalingOptions { Scale = scale, Offset = offset }, nameof(scale), nameof(offset));

    /// <summary>Adds Keras' <c>Rescaling</c> layer with a chosen name.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public SequentialBuilder AddRescaling(RescalingOptions options) => Add(options);

    /// <summary>Adds zero padding of <paramref name="rows"/> rows above and below and <paramref name="columns"/> columns left and right (Keras <c>layer_zero_padding_2d(padding = c(rows, columns))</c>).</summary>
    /// <param name="rows">Zero rows on each side; at least 0.</param>
    /// <param name="columns">Zero columns on each side; at least 0.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative (the message names the layer).</exception>
    /// <exception cref="ArgumentException">The input is not a feature map.</exception>
    public SequentialBuilder AddZeroPadding2D(int rows = 1, int columns = 1) =>
        Add(() => new ZeroPadding2DOptions { Top = rows, Bottom = rows, Left = columns, Right = columns }, nameof(rows), nameof(columns));

    /// <summary>Adds zero padding with a count per side.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The input is not a feature map, or the name is taken.</exception>
    public SequentialBuilder AddZeroPadding2D(ZeroPadding2DOptions options) => Add(options);

    /// <summary>Gets the layers added so far.</summary>
    internal IReadOnlyList<LayerSpec> Layers => _graph.Layers;

    /// <summary>
    /// Adds a layer whose options a shorthand creates from plain arguments: an argument the options reject fails with
    /// the layer's index, automatic name and input shape in the message, and the shorthand's parameter name.
    /// </summary>
    internal SequentialBuilder Add<T>(Func<T> create, params string[] parameterNames)
        where T : LayerOptions
    {
        ThrowIfBuilt();
        T options;
        try
        {
            options = create();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            var type = LayerTypeAttribute.Of(typeof(T));
            var parameter = parameterNames.FirstOrDefault(p => string.Equals(p, ex.ParamName, StringComparison.OrdinalIgnoreCase)) ?? ex.ParamName;
            var reason = ex.Message.Split(" (Parameter", 2)[0].Split('\n', 2)[0].TrimEnd('.');
            throw new ArgumentOutOfRangeException(
                parameter,
                ex.ActualValue,
                $"Layer {_graph.Count} '{_graph.NextAutomaticName(type.NamePrefix, type.TypeName)}' ({type.TypeName}) on input shape {OutputShape}: {parameter} = {FormatValue(ex.ActualValue)} is not valid: {reason}.");
        }

        return Add(options);
    }

    private static string FormatValue(object? value) => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString() ?? "null";

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException("Cannot add layers after Build(): this builder has already built its model; start a new SequentialBuilder.");
        }
    }
}
