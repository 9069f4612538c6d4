// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics.CodeAnalysis;
using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// The activations of several layers from one forward pass, keyed by layer name and ordered by layer index,
/// like keract's <c>get_activations</c>. The set owns its tensors: disposing it frees them.
/// </summary>
/// <remarks>Tensors are laid out channels-first: [N, C, H, W] for feature maps, [N, F] for flat layers. Use
/// <see cref="ActivationExport.ToKerasOrder"/> for Keras' [N, H, W, C].</remarks>
public sealed class ActivationSet : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly LayerInfo[] _layers;
    private readonly Dictionary<string, Tensor> _tensors;
    private readonly int _modelLayerCount;
    private bool _disposed;

    internal ActivationSet(IReadOnlyList<LayerInfo> layers, IReadOnlyList<Tensor> tensors, int modelLayerCount)
    {
        _modelLayerCount = modelLayerCount;
        _layers = [.. layers];
        _tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (var i = 0; i < _layers.Length; i++)
        {
            _tensors.Add(_layers[i].Name, tensors[i]);
        }
    }

    /// <summary>Gets the layers in the set, ordered by <see cref="LayerInfo.Index"/>.</summary>
    public IReadOnlyList<LayerInfo> Layers => _layers;

    /// <summary>Gets the number of layers in the set.</summary>
    public int Count => _layers.Length;

    /// <summary>Gets the layer names, ordered by layer index.</summary>
    public IEnumerable<string> Keys => _layers.Select(l => l.Name);

    /// <summary>Gets the activation tensors, ordered by layer index. The set keeps ownership.</summary>
    public IEnumerable<Tensor> Values
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _layers.Select(l => _tensors[l.Name]);
        }
    }

    /// <summary>Gets the activations of a layer. The set keeps ownership: do not dispose the tensor.</summary>
    /// <param name="key">The layer name.</param>
    /// <returns>The activations [N, C, H, W] or [N, F].</returns>
    /// <exception cref="KeyNotFoundException">The layer is not in the set; the message lists the layers that are.</exception>
    /// <exception cref="ObjectDisposedException">The set has been disposed.</exception>
    public Tensor this[string key]
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentNullException.ThrowIfNull(key);
            return _tensors.TryGetValue(key, out var tensor)
                ? tensor
                : throw new KeyNotFoundException($"Layer '{key}' is not in this activation set; it holds: {string.Join(", ", Keys)}.");
        }
    }

    /// <summary>
    /// Gets the activations of a layer by its 0-based model index, or a negative index from the end of the model
    /// (−1 is the model's last layer), as <see cref="IntermediateModel.From(Model, int)"/> takes it. The set keeps ownership.
    /// </summary>
    /// <param name="layerIndex">The layer's <see cref="LayerInfo.Index"/>, or a negative index from the end of the model.</param>
    /// <returns>The activations.</returns>
    /// <exception cref="KeyNotFoundException">The layer is not in the set; the message lists the indices that are.</exception>
    public Tensor GetByIndex(int layerIndex)
    {
        var resolved = layerIndex < 0 ? _modelLayerCount + layerIndex : layerIndex;
        foreach (var layer in _layers)
        {
            if (layer.Index == resolved)
            {
                return this[layer.Name];
            }
        }

        var which = layerIndex < 0
            ? resolved < 0
                ? $"Layer index {layerIndex} (the model has {_modelLayerCount} layers, so -{_modelLayerCount}..-1 from the end)"
                : $"Layer index {layerIndex} (layer {resolved} of the model's {_modelLayerCount})"
            : $"Layer index {layerIndex}";
        throw new KeyNotFoundException($"{which} is not in this activation set; it holds: {string.Join(", ", _layers.Select(l => l.Index))}.");
    }

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _tensors.TryGetValue(key, out value);
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _layers.Select(l => new KeyValuePair<string, Tensor>(l.Name, _tensors[l.Name])).GetEnumerator();
    }

    /// <inheritdoc/>
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Writes every activation to <c>&lt;directory&gt;/&lt;layer name&gt;.npy</c> (NumPy format 1.0, little-endian float32, C order).
    /// </summary>
    /// <param name="directory">The output directory; created if missing.</param>
    /// <param name="kerasOrder">Whether to write feature maps as Keras' [N, H, W, C] (default) instead of [N, C, H, W].</param>
    /// <returns>The paths written, in layer order.</returns>
    public IReadOnlyList<string> SaveNpy(string directory, bool kerasOrder = true)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        var paths = new List<string>(_layers.Length);
        foreach (var layer in _layers)
        {
            var path = Path.Combine(directory, layer.Name + ".npy");
            ActivationExport.SaveNpy(_tensors[layer.Name], path, kerasOrder);
            paths.Add(path);
        }

        return paths;
    }

    /// <summary>Disposes every activation tensor of the set.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var tensor in _tensors.Values)
        {
            tensor.Dispose();
        }
    }
}
