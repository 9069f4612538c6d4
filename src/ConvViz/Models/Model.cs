// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// A CNN built by <see cref="SequentialBuilder"/> or <see cref="FunctionalBuilder"/>, or loaded by <see cref="Load(string)"/>:
/// a graph of layers in topological order (a chain for sequential models), one TorchSharp module per layer, named as in
/// Keras. The model owns its native parameters; dispose it when done.
/// </summary>
/// <remarks>
/// <see cref="Predict(Tensor)"/> and <see cref="PredictClasses(Tensor)"/> may run concurrently on several threads (they
/// share evaluation mode; the last one to finish restores the training mode). Fit and Evaluate need the model to
/// themselves: starting them while another thread trains or predicts, or predicting or saving on another thread while
/// they run, throws <see cref="InvalidOperationException"/>; their callbacks may predict and save. Other members
/// (<see cref="Forward"/>, <see cref="To"/>, <see cref="Module"/>, the setters, <see cref="Dispose"/>) are not thread-safe.
/// </remarks>
public sealed partial class Model : IDisposable
{
    private readonly LayerModule[] _modules;
    private readonly LayerSpec[] _specs;
    private readonly IReadOnlyList<int>[] _inputs;
    private readonly GraphPlan _fullPlan;
    private readonly GraphModule _network;
    private readonly LayerInfo[] _layers;
    private readonly TrainingState _training = new();
    private bool _disposed;

    internal Model(LayerShape inputShape, IReadOnlyList<LayerSpec> specs, Generator? generator)
    {
        InputLayerShape = inputShape;
        _specs = specs.ToArray();
        _inputs = [.. _specs.Select(s => s.Inputs)];
        _fullPlan = GraphPlan.Create(_inputs, [_specs.Length - 1], []);
        IsSequential = _specs.Select((s, i) => s.Inputs is [var only] && only == i - 1 && !s.Options.IsModelInput).All(b => b);
        _modules = new LayerModule[_specs.Length];
        _layers = new LayerInfo[_specs.Length];
        try
        {
            for (var i = 0; i < _specs.Length; i++)
            {
                var spec = _specs[i];
                _modules[i] = spec.CreateModule(generator);
                var trainable = _modules[i].parameters().Sum(p => p.numel());
                var total = trainable + _modules[i].buffers().Sum(b => b.numel());
                var inputs = spec.Inputs.Where(j => j != LayerGraphBuilder.ModelInput).Select(j => _layers[j]).ToArray();
                _layers[i] = new LayerInfo(i, spec.Name, spec.Options, inputs, spec.InputShapes, spec.OutputShape, total, trainable, [.. spec.Tensors.Select(t => t.Name)]);
            }

            _network = new GraphModule(_modules, Forward);
        }
        catch
        {
            foreach (var module in _modules)
            {
                module?.Dispose();
            }

            throw;
        }

        _network.eval();
        Layout = MemoryLayout.ChannelsLast;
    }

    /// <summary>Gets the input image's shape (height, width, channels).</summary>
    /// <exception cref="InvalidOperationException">The model takes vectors, not images (see <see cref="InputLayerShape"/>).</exception>
    public ImageShape InputShape => InputLayerShape.IsSpatial
        ? InputLayerShape.ToImage()
        : throw new InvalidOperationException(
            $"The model takes vectors of {InputLayerShape.Channels} features (Keras input shape {InputLayerShape}), not images, so it has no image InputShape. " +
            "Read Model.InputLayerShape, which describes both kinds of input.");

    /// <summary>
    /// Gets the shape of one input sample, in Keras order without the batch axis: (height, width, channels) for a model
    /// that takes images (the same as <see cref="InputShape"/>), or (features) for a model that takes vectors, such as R
    /// keras' MNIST model <c>layer_dense(units = 512, input_shape = c(784))</c>. A batch is [N, C, H, W] or [N, features].
    /// </summary>
    public LayerShape InputLayerShape { get; }

    /// <summary>Gets the output shape of the last layer.</summary>
    public LayerShape OutputShape => _layers[^1].OutputShape;

    /// <summary>
    /// Gets the layers in topological order (each after the layers it takes); <see cref="LayerInfo.Index"/> is 0-based and
    /// <see cref="LayerInfo.Inputs"/> lists each layer's inputs. The last layer is the output.
    /// </summary>
    public IReadOnlyList<LayerInfo> Layers => _layers;

    /// <summary>
    /// Gets a value indicating whether the model is a chain of layers without an input layer, as
    /// <see cref="SequentialBuilder"/> builds (Keras' <c>Sequential</c>): each layer takes the previous one's output.
    /// Otherwise it is a functional model (<see cref="FunctionalBuilder"/>), whose <see cref="Summary"/> shows each
    /// layer's inputs.
    /// </summary>
    public bool IsSequential { get; }

    /// <summary>Gets the total number of parameters (trainable and not), as Keras' <c>Total params</c>.</summary>
    public long ParameterCount => _layers.Sum(l => l.ParameterCount);

    /// <summary>Gets the number of trainable parameters.</summary>
    public long TrainableParameterCount => _layers.Sum(l => l.TrainableParameterCount);

    /// <summary>Gets the device the parameters live on.</summary>
    /// <value>The default value is <see cref="ComputeDevice.Cpu"/>.</value>
    public ComputeDevice Device { get; private set; } = ComputeDevice.Cpu;

    /// <summary>
    /// Gets or sets the preprocessing the model was trained with (target size, colour mode, rescale, normalization),
    /// so that prediction on new images uses exactly the same steps. It is saved with the model.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (unknown).</value>
    /// <exception cref="ArgumentException">The preprocessing produces images of another shape than <see cref="InputShape"/>, or the model takes vectors.</exception>
    public ImagePreprocessing? Preprocessing
    {
        get;
        set
        {
            if (value is not null && !InputLayerShape.IsSpatial)
            {
                throw new ArgumentException(
                    $"The model takes vectors of {InputLayerShape.Channels} features (Keras input shape {InputLayerShape}), not images: image preprocessing does not apply. " +
                    "Prepare the vectors yourself and pass [N, features] tensors to Predict.",
                    nameof(value));
            }

            if (value is not null && value.OutputShape != InputShape)
            {
                throw new ArgumentException(
                    $"The preprocessing produces images of shape {value.OutputShape} but the model expects {InputShape}; set TargetHeight, TargetWidth and ColorMode to match.",
                    nameof(value));
            }

            field = value;
        }
    }

    /// <summary>
    /// Gets or sets the class names in output order (index i names output unit i; for a single sigmoid unit, index 0
    /// is the negative and index 1 the positive class). It is saved with the model and used by <see cref="PredictClasses(Tensor)"/>.
    /// </summary>
    /// <value>The default value is an empty list (unknown).</value>
    /// <exception cref="ArgumentException">A name is null, or the count does not match the output units.</exception>
    public IReadOnlyList<string> ClassNames
    {
        get;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var names = value.ToArray();
            if (names.Any(n => n is null))
            {
                throw new ArgumentException("Class names cannot be null.", nameof(value));
            }

            if (names.Length != 0 && OutputShape.IsSpatial)
            {
                throw new ArgumentException($"The model's output {OutputShape} is a feature map, not class scores; class names need a model that ends in a Dense layer.", nameof(value));
            }

            var units = OutputShape.Channels;
            if (names.Length != 0 && names.Length != units && !(units == 1 && names.Length == 2))
            {
                throw new ArgumentException(
                    $"The model's output {OutputShape} needs {(units == 1 ? "2 class names (negative, positive)" : $"{units} class names")}, but {names.Length} were given.",
                    nameof(value));
            }

            field = names;
        }
    } = [];

    /// <summary>
    /// Gets the underlying TorchSharp module: the layers' modules registered under the layer names (parameters are
    /// named <c>conv2d.kernel</c>, …), whose <c>forward</c> is <see cref="Forward"/>. The model keeps ownership: do not dispose it.
    /// </summary>
    public nn.Module<Tensor, Tensor> Module
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _network;
        }
    }

    internal IReadOnlyList<LayerModule> LayerModules => _modules;

    internal IReadOnlyList<LayerSpec> Specs => _specs;

    internal Device TorchDevice => Device == ComputeDevice.Cuda ? CUDA : CPU;

    /// <summary>Gets a layer by its 0-based index (R's <c>get_layer(model, index = i)</c> is <c>GetLayer(i - 1)</c>); negative values count from the end.</summary>
    /// <param name="index">The 0-based index, or −1 for the last layer, −2 for the one before, ….</param>
    /// <returns>The layer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the model (the message gives the valid range).</exception>
    public LayerInfo GetLayer(int index) => ResolveLayer(index, nameof(index));

    /// <summary>Gets a layer by name (ordinal, case-sensitive, as Keras' <c>get_layer(model, name = ...)</c>).</summary>
    /// <param name="name">The layer name.</param>
    /// <returns>The layer.</returns>
    /// <exception cref="ArgumentException">The model has no layer of that name (the message lists the layers).</exception>
    public LayerInfo GetLayer(string name) => ResolveLayer(name, nameof(name));

    /// <summary>
    /// Copies one weight tensor of a layer, as TorchSharp stores it: a convolution <c>kernel</c> is [filters, in, kh, kw]
    /// (Keras stores [kh, kw, in, filters]), a dense <c>kernel</c> [units, in], <c>bias</c> [units]; batch normalization has
    /// <c>gamma</c>, <c>beta</c>, <c>moving_mean</c> and <c>moving_variance</c>. <see cref="LayerInfo.WeightNames"/> lists a layer's names.
    /// </summary>
    /// <param name="layerIndex">The 0-based layer index (negative from the end).</param>
    /// <param name="weightName">The weight's name.</param>
    /// <returns>A detached, contiguous float32 copy on the model's device; the caller owns it (dispose it or let a dispose scope take it).</returns>
    /// <exception cref="ArgumentOutOfRangeException">The layer index is outside the model.</exception>
    /// <exception cref="ArgumentException">The layer has no weight of that name (the message lists the ones it has).</exception>
    public Tensor GetWeight(int layerIndex, string weightName)
    {
        var (_, tensor) = FindWeight(layerIndex, weightName);
        using var noGrad = no_grad();
        using var detached = tensor.detach();
        using var dense = detached.contiguous();
        return dense.to_type(ScalarType.Float32, copy: true);
    }

    /// <summary>
    /// Overwrites one weight tensor of a layer with a copy of <paramref name="value"/> (Keras' <c>set_weights</c> for one
    /// tensor), in TorchSharp's layout (see <see cref="GetWeight"/>); the parameter keeps its identity, device and layout.
    /// </summary>
    /// <param name="layerIndex">The 0-based layer index (negative from the end).</param>
    /// <param name="weightName">The weight's name (see <see cref="LayerInfo.WeightNames"/>).</param>
    /// <param name="value">The new values, of exactly the weight's shape, on any device; not disposed.</param>
    /// <exception cref="ArgumentOutOfRangeException">The layer index is outside the model.</exception>
    /// <exception cref="ArgumentException">The layer has no such weight, or the shape differs (both shapes are named).</exception>
    public void SetWeight(int layerIndex, string weightName, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var (layer, tensor) = FindWeight(layerIndex, weightName);
        if (!tensor.shape.SequenceEqual(value.shape))
        {
            throw new ArgumentException(
                $"Weight '{weightName}' of layer {layer.Index} '{layer.Name}' has shape [{string.Join(", ", tensor.shape)}]; the value has [{string.Join(", ", value.shape)}].",
                nameof(value));
        }

        using var noGrad = no_grad();
        tensor.copy_(value);
    }

    private (LayerInfo Layer, Tensor Tensor) FindWeight(int layerIndex, string weightName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(weightName);
        var layer = ResolveLayer(layerIndex, nameof(layerIndex));
        if (!layer.WeightNames.Contains(weightName, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                layer.WeightNames.Count == 0
                    ? $"Layer {layer.Index} '{layer.Name}' ({layer.TypeName}) has no weights."
                    : $"Layer {layer.Index} '{layer.Name}' ({layer.TypeName}) has no weight '{weightName}'; its weights are: {string.Join(", ", layer.WeightNames)}.",
                nameof(weightName));
        }

        var module = _modules[layer.Index];
        return (layer, module.get_parameter(weightName) ?? module.get_buffer(weightName)!);
    }

    /// <summary>Gets a value indicating whether the model was disposed.</summary>
    internal bool IsDisposed => _disposed;

    /// <summary>Refuses <paramref name="feature"/>, which needs images (a spatial input), when the model takes vectors.</summary>
    /// <param name="feature">What the caller does, for the message (for example <c>Grad-CAM</c>).</param>
    /// <exception cref="InvalidOperationException">The model takes vectors.</exception>
    internal void ThrowIfTakesVectors(string feature)
    {
        if (!InputLayerShape.IsSpatial)
        {
            throw new InvalidOperationException(
                $"{feature} needs a model whose input is an image (height, width, channels), but this model takes vectors of {InputLayerShape.Channels} features " +
                $"(Keras input shape {InputLayerShape}) and has no feature maps. Pass [N, {InputLayerShape.Channels}] tensors to Predict, PredictClasses, Forward " +
                "or IntermediateModel.Run to see its outputs and its layers' activations.");
        }
    }

    /// <summary>Copies every parameter and buffer of <paramref name="source"/>'s layer <paramref name="sourceLayer"/> into this model's layer <paramref name="layer"/> (same options, so same names and shapes).</summary>
    internal void CopyLayerWeights(int layer, Model source, int sourceLayer)
    {
        using var noGrad = no_grad();
        var from = source._modules[sourceLayer];
        var to = _modules[layer];
        foreach (var (name, parameter) in from.named_parameters())
        {
            to.get_parameter(name)!.copy_(parameter);
        }

        foreach (var (name, buffer) in from.named_buffers())
        {
            to.get_buffer(name)!.copy_(buffer);
        }
    }

    internal LayerInfo ResolveLayer(int index, string paramName)
    {
        var count = _layers.Length;
        var resolved = index < 0 ? count + index : index;
        if (resolved < 0 || resolved >= count)
        {
            throw new ArgumentOutOfRangeException(paramName, index,
                $"The model has {count} layers: use an index in 0..{count - 1} (0-based; R's get_layer(index = i) is i - 1) or -{count}..-1 from the end.");
        }

        return _layers[resolved];
    }

    internal LayerInfo ResolveLayer(string name, string paramName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name, paramName);
        return _layers.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.Ordinal))
            ?? throw new ArgumentException(
                $"The model has no layer named '{name}'. Its layers are: {string.Join(", ", _layers.Select(l => $"{l.Index}:{l.Name}"))}.",
                paramName);
    }

    /// <summary>Gets the optimizer state and data position this model owns (freed with it).</summary>
    internal TrainingState TrainingState
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _training;
        }
    }

    /// <summary>The parameters an optimizer updates, with their names (<c>layer.kernel</c>, …), in module order.</summary>
    internal IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> TrainableParameters() =>
        _network.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToArray();

    /// <summary>Describes the model like Keras' <c>summary(model)</c>. Nothing is printed: call <see cref="ModelSummary.ToString"/>.</summary>
    /// <returns>The summary: one row per layer and the parameter totals.</returns>
    public ModelSummary Summary() => new(InputLayerShape, _layers, IsSequential);

    /// <summary>
    /// Moves the parameters to <paramref name="device"/>, with the optimizer state the model owns (its moments keep their
    /// values, so training continues where it stopped). Training, evaluation, prediction and the inspection methods move
    /// their batches to the model's device themselves; <see cref="Forward"/> does too.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <returns>This model.</returns>
    /// <exception cref="NotSupportedException">CUDA was requested but no CUDA device and backend are available.</exception>
    public Model To(ComputeDevice device)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        NativeBackend.EnsureLoaded();
        if (device == ComputeDevice.Cuda && !ConvVizRuntime.IsCudaAvailable)
        {
            throw new NotSupportedException(
                "CUDA is not available: no NVIDIA GPU was found or the application references a CPU-only libtorch backend. " +
                "Reference 'TorchSharp-cuda-linux' or 'TorchSharp-cuda-windows' on a machine with an NVIDIA driver, or stay on ComputeDevice.Cpu.");
        }

        if (device != Device)
        {
            PrecisionSupport.Validate(Precision, device, "Model.Precision");
            Device = device;
            _network.to(TorchDevice);
            ReapplyTrainable();
            ApplyLayout();
            _training.Rebind(TrainableParameters());
        }

        return this;
    }

    /// <summary>
    /// Runs the whole network on a batch in the current mode (evaluation by default), with gradients if enabled, in
    /// <see cref="Precision"/> and <see cref="Layout"/>. The input is moved to the model's device and converted to float32 and
    /// the model's layout first (differentiably, so gradients reach <paramref name="input"/>).
    /// </summary>
    /// <param name="input">A batch matching <see cref="InputLayerShape"/> ([N, C, H, W], or [N, features] for a model that takes vectors), on any device; not disposed.</param>
    /// <returns>The float32 output on the model's device, [N, units] (or [N, C, H, W] in meaning with the strides of
    /// <see cref="Layout"/> for a model that ends in a feature map); the caller owns it (dispose it or let a dispose scope take it).</returns>
    /// <exception cref="ArgumentException">The input's shape does not match the model's input shape.</exception>
    public Tensor Forward(Tensor input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Run(input, [_modules.Length - 1])[0];
    }

    internal void ValidateInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var s = input.shape;
        if (!InputLayerShape.IsSpatial)
        {
            if (s.Length != 2 || s[1] != InputLayerShape.Channels)
            {
                throw new ArgumentException(
                    $"The model takes vectors: it expects a batch of shape [N, {InputLayerShape.Channels}] (Keras {InputLayerShape}), but got [{string.Join(", ", s)}].",
                    nameof(input));
            }

            return;
        }

        if (s.Length != 4 || s[1] != InputShape.Channels || s[2] != InputShape.Height || s[3] != InputShape.Width)
        {
            throw new ArgumentException(
                $"The model expects a batch of shape [N, {InputShape.Channels}, {InputShape.Height}, {InputShape.Width}] " +
                $"(Keras {InputShape}), but got [{string.Join(", ", s)}]. Resize the images to {InputShape.Height}×{InputShape.Width} " +
                "with the data pipeline, and pass channels-first tensors.",
                nameof(input));
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _training.Dispose();
        _network.Dispose();
    }
}
