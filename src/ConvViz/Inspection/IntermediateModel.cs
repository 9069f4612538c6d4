// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// The output of one layer of a <see cref="Model"/>, like Keras'
/// <c>keras_model(inputs = model$input, outputs = get_layer(model, index = 6)$output)</c>.
/// Only the layers up to the requested one are computed. Shares the model's weights; owns nothing.
/// </summary>
public sealed class IntermediateModel
{
    private readonly Model _model;

    private IntermediateModel(Model model, LayerInfo layer)
    {
        _model = model;
        Layer = layer;
    }

    /// <summary>Gets the layer whose output this model returns.</summary>
    public LayerInfo Layer { get; }

    /// <summary>
    /// Creates an intermediate model ending at a layer given by its 0-based index (Python Keras order).
    /// R's 1-based <c>get_layer(model, index = 6)</c> is <c>layerIndex: 5</c>. Negative values count from the end (−1 is the last layer).
    /// </summary>
    /// <param name="model">The model; it must outlive the intermediate model.</param>
    /// <param name="layerIndex">The 0-based layer index, or a negative index from the end.</param>
    /// <returns>The intermediate model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No layer has that index; the message lists the valid range.</exception>
    public static IntermediateModel From(Model model, int layerIndex)
    {
        ArgumentNullException.ThrowIfNull(model);
        var count = model.Layers.Count;
        var resolved = layerIndex < 0 ? count + layerIndex : layerIndex;
        if (resolved < 0 || resolved >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(layerIndex), layerIndex,
                $"The model has {count} layers: use an index in 0..{count - 1} (0-based; R's get_layer(index = i) is i - 1) or -{count}..-1 from the end.");
        }

        return new IntermediateModel(model, model.Layers[resolved]);
    }

    /// <summary>Computes the layer's activations for a batch, in evaluation mode and without gradients.</summary>
    /// <param name="input">A float32 batch [N, C, H, W] matching the model's input shape; not disposed.</param>
    /// <returns>The activations [N, C, H, W] (or [N, F] for flat layers). The caller owns the tensor and must dispose it.</returns>
    public Tensor Predict(Tensor input)
    {
        NativeBackendGuard();
        var module = _model.Module;
        var wasTraining = module.training;
        module.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return _model.ForwardTo(input, Layer.Index).MoveToOuterDisposeScope();
        }
        finally
        {
            module.train(wasTraining);
        }
    }

    private static void NativeBackendGuard() => NativeBackend.EnsureLoaded();
}
