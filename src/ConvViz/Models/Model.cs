// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// A sequential CNN built by <see cref="SequentialBuilder"/>: one TorchSharp module per layer, named as in Keras.
/// The model owns its native parameters; dispose it when done.
/// </summary>
/// <remarks>Not thread-safe: a model has one training mode and one set of parameters.</remarks>
public sealed partial class Model : IDisposable
{
    private readonly LayerModule[] _modules;
    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly LayerInfo[] _layers;
    private bool _disposed;

    internal Model(ImageShape inputShape, IReadOnlyList<LayerSpec> specs)
    {
        InputShape = inputShape;
        _modules = new LayerModule[specs.Count];
        _layers = new LayerInfo[specs.Count];
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            _modules[i] = spec.CreateModule();
            var actual = _modules[i].parameters().Sum(p => p.numel());
            _layers[i] = new LayerInfo(i, spec.Name, spec.Kind, spec.InputShape, spec.OutputShape, actual);
        }

        _network = nn.Sequential(_modules.Select(m => (m.GetName(), (nn.Module<Tensor, Tensor>)m)));
        _network.eval();
    }

    /// <summary>Gets the input shape (height, width, channels).</summary>
    public ImageShape InputShape { get; }

    /// <summary>Gets the output shape of the last layer.</summary>
    public LayerShape OutputShape => _layers[^1].OutputShape;

    /// <summary>Gets the layers in order; <see cref="LayerInfo.Index"/> is 0-based.</summary>
    public IReadOnlyList<LayerInfo> Layers => _layers;

    /// <summary>Gets the total number of parameters (trainable and not).</summary>
    public long ParameterCount => _layers.Sum(l => l.ParameterCount);

    /// <summary>Gets the underlying TorchSharp module (a <c>Sequential</c> of the layers). The model keeps ownership: do not dispose it.</summary>
    public nn.Module<Tensor, Tensor> Module
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _network;
        }
    }

    internal IReadOnlyList<LayerModule> LayerModules => _modules;

    /// <summary>
    /// Runs the whole network on a batch in the current mode (evaluation by default), with gradients if enabled.
    /// </summary>
    /// <param name="input">A float32 batch [N, C, H, W] matching <see cref="InputShape"/>; not disposed.</param>
    /// <returns>The output tensor [N, units]; the caller owns it (dispose it or let a dispose scope take it).</returns>
    /// <exception cref="ArgumentException">The input's shape does not match the model's input shape.</exception>
    public Tensor Forward(Tensor input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ValidateInput(input);
        return _network.call(input);
    }

    /// <summary>
    /// Runs layers 0..<paramref name="lastLayer"/> (inclusive) and returns the output of the last one. Later layers are not computed.
    /// </summary>
    /// <param name="input">A float32 batch [N, C, H, W]; not disposed.</param>
    /// <param name="lastLayer">The 0-based index of the last layer to run.</param>
    /// <returns>The layer's output; the caller owns it.</returns>
    internal Tensor ForwardTo(Tensor input, int lastLayer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ValidateInput(input);
        ArgumentOutOfRangeException.ThrowIfNegative(lastLayer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(lastLayer, _modules.Length);
        var x = _modules[0].call(input);
        for (var i = 1; i <= lastLayer; i++)
        {
            var next = _modules[i].call(x);
            x.Dispose();
            x = next;
        }

        return x;
    }

    internal void ValidateInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var s = input.shape;
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
        _network.Dispose();
    }
}
