// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models;

public sealed partial class Model
{
    /// <summary>
    /// Freezes every layer (R's <c>freeze_weights(model)</c>, Keras' <c>model$trainable &lt;- FALSE</c>); see
    /// <see cref="Freeze(int, int)"/> for what a frozen layer does. Typical use: freeze a pretrained convolutional base
    /// before nesting it in a model with a new classifier (nested layers stay frozen).
    /// </summary>
    /// <returns>This model.</returns>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Freeze() => SetTrainable(0, _layers.Length - 1, false);

    /// <summary>Freezes the layers from index <paramref name="from"/> to the last one (R's <c>freeze_weights(model, from)</c>, 0-based); see <see cref="Freeze(int, int)"/>.</summary>
    /// <param name="from">The first layer's 0-based index (negative values count from the end).</param>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the model (the message gives the valid range).</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Freeze(int from) => SetTrainable(from, -1, false);

    /// <summary>
    /// Freezes the layers <paramref name="from"/> … <paramref name="to"/>, both included (R's
    /// <c>freeze_weights(model, from, to)</c> with 0-based indices). A frozen layer keeps its weights: they get no
    /// gradient (<c>requires_grad</c> is off), the optimizer does not update them, and a frozen BatchNormalization runs in
    /// inference mode even during <c>Fit</c> (its moving statistics are used and not updated), as in Keras 2.1.3 and later.
    /// Gradients still flow through frozen layers to trainable layers before them. The summary counts a frozen layer's
    /// weights as non-trainable. Trainability is saved with the model.
    /// </summary>
    /// <remarks>
    /// Unlike Keras, the model need not be compiled again: the optimizer (if it exists) is updated at once to cover the
    /// trainable parameters, keeping the moments and step count of the parameters that stay trainable; parameters
    /// that become trainable start with zero moments. Called from a <c>Fit</c> callback, it takes effect from the next batch.
    /// </remarks>
    /// <param name="from">The first layer's 0-based index (negative values count from the end).</param>
    /// <param name="to">The last layer's index (negative values count from the end).</param>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the model (the message gives the valid range).</exception>
    /// <exception cref="ArgumentException"><paramref name="from"/> comes after <paramref name="to"/>.</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Freeze(int from, int to) => SetTrainable(from, to, false);

    /// <summary>Freezes the layers from the one named <paramref name="from"/> to the last one (R's <c>freeze_weights(model, from = "block1_conv1")</c>); see <see cref="Freeze(int, int)"/>.</summary>
    /// <param name="from">The first layer's name.</param>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentException">No layer has that name (the message lists the layers).</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Freeze(string from) => SetTrainable(from, null, false);

    /// <summary>
    /// Freezes the layers from the one named <paramref name="from"/> to the one named <paramref name="to"/>, both included
    /// (R's <c>freeze_weights(model, from = "block1_conv1", to = "block3_pool")</c>); see <see cref="Freeze(int, int)"/>.
    /// </summary>
    /// <param name="from">The first layer's name.</param>
    /// <param name="to">The last layer's name.</param>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentException">No layer has that name (the message lists the layers), or <paramref name="from"/> comes after <paramref name="to"/>.</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Freeze(string from, string to) => SetTrainable(from, to ?? throw new ArgumentNullException(nameof(to)), false);

    /// <summary>Makes every layer trainable again (R's <c>unfreeze_weights(model)</c>); see <see cref="Unfreeze(string, string)"/>.</summary>
    /// <returns>This model.</returns>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Unfreeze() => SetTrainable(0, _layers.Length - 1, true);

    /// <summary>Makes the layers from index <paramref name="from"/> to the last one trainable again; see <see cref="Unfreeze(string, string)"/>.</summary>
    /// <param name="from">The first layer's 0-based index (negative values count from the end).</param>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the model (the message gives the valid range).</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Unfreeze(int from) => SetTrainable(from, -1, true);

    /// <summary>Makes the layers <paramref name="from"/> … <paramref name="to"/> (both included, 0-based) trainable again; see <see cref="Unfreeze(string, string)"/>.</summary>
    /// <param name="from">The first layer's 0-based index (negative values count from the end).</param>
    /// <param name="to">The last layer's index (negative values count from the end).</param>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the model (the message gives the valid range).</exception>
    /// <exception cref="ArgumentException"><paramref name="from"/> comes after <paramref name="to"/>.</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Unfreeze(int from, int to) => SetTrainable(from, to, true);

    /// <summary>
    /// Makes the layers from the one named <paramref name="from"/> to the last one trainable again, as R's
    /// <c>unfreeze_weights(conv_base, from = "block5_conv1")</c> for fine-tuning; see <see cref="Unfreeze(string, string)"/>.
    /// </summary>
    /// <param name="from">The first layer's name.</param>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentException">No layer has that name (the message lists the layers).</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Unfreeze(string from) => SetTrainable(from, null, true);

    /// <summary>
    /// Makes the layers from the one named <paramref name="from"/> to the one named <paramref name="to"/> (both included)
    /// trainable again, for fine-tuning: continue with <c>Fit</c> at a low learning rate. The optimizer keeps the moments
    /// and step count of the parameters that were already trainable; the newly trainable ones start with zero moments
    /// (no compile needed; compiling again starts a fresh optimizer, as in Keras).
    /// </summary>
    /// <param name="from">The first layer's name.</param>
    /// <param name="to">The last layer's name.</param>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentException">No layer has that name (the message lists the layers), or <paramref name="from"/> comes after <paramref name="to"/>.</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model Unfreeze(string from, string to) => SetTrainable(from, to ?? throw new ArgumentNullException(nameof(to)), true);

    /// <summary>Sets one layer's <see cref="LayerInfo.Trainable"/> (Keras' <c>layer$trainable &lt;- FALSE</c>); see <see cref="Freeze(int, int)"/>.</summary>
    /// <param name="layerName">The layer's name.</param>
    /// <param name="trainable">Whether training updates the layer.</param>
    /// <returns>This model.</returns>
    /// <exception cref="ArgumentException">No layer has that name (the message lists the layers).</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    public Model SetTrainable(string layerName, bool trainable) => SetTrainable(layerName, layerName, trainable);

    /// <summary>Marks layers frozen or trainable by index, without the argument checks of the public methods (model building and loading).</summary>
    internal void SetLayersTrainable(IEnumerable<int> layers, bool trainable)
    {
        var changed = false;
        foreach (var index in layers)
        {
            changed |= ApplyTrainable(index, trainable);
        }

        if (changed)
        {
            _training.Sync(TrainableParameters());
        }
    }

    /// <summary>Sets <c>requires_grad</c> of every parameter from its layer's flag again (after the parameters were replaced, as moving to another device may do).</summary>
    private void ReapplyTrainable()
    {
        for (var i = 0; i < _layers.Length; i++)
        {
            ApplyTrainable(i, _layers[i].Trainable);
        }
    }

    private Model SetTrainable(string from, string? to, bool trainable)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var first = ResolveLayer(from, nameof(from));
        var last = to is null ? _layers[^1] : ResolveLayer(to, nameof(to));
        return SetTrainable(first, last, trainable);
    }

    private Model SetTrainable(int from, int to, bool trainable)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var first = ResolveLayer(from, nameof(from));
        var last = ResolveLayer(to, nameof(to));
        return SetTrainable(first, last, trainable);
    }

    private Model SetTrainable(LayerInfo first, LayerInfo last, bool trainable)
    {
        if (first.Index > last.Index)
        {
            throw new ArgumentException(
                $"The range starts at layer {first.Index} '{first.Name}', which comes after its end, layer {last.Index} '{last.Name}'; " +
                $"give the earlier layer first (layers are in topological order, 0..{_layers.Length - 1}).",
                "from");
        }

        ThrowIfTrainingOnAnotherThread(trainable ? "Unfreeze" : "Freeze");
        NativeBackend.EnsureLoaded();
        SetLayersTrainable(Enumerable.Range(first.Index, last.Index - first.Index + 1), trainable);
        return this;
    }

    /// <summary>Sets a layer's flag, its module's flag and its parameters' <c>requires_grad</c>; returns whether the flag changed.</summary>
    private bool ApplyTrainable(int index, bool trainable)
    {
        var layer = _layers[index];
        var module = _modules[index];
        var changed = layer.Trainable != trainable;
        layer.Trainable = trainable;
        module.Trainable = trainable;
        using var noGrad = no_grad();
        foreach (var parameter in module.parameters())
        {
            if (parameter.requires_grad != trainable)
            {
                parameter.requires_grad = trainable;
            }

            if (!trainable)
            {
                // A frozen weight keeps no stale gradient from before it was frozen.
                using var grad = parameter.grad;
                grad?.zero_();
            }
        }

        return changed;
    }
}
