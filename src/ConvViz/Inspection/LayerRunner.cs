// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>Runs slices of a <see cref="Model"/>'s layers and resolves layer references; shared by the inspection tools.</summary>
internal static class LayerRunner
{
    /// <summary>Runs the ancestors of layer <paramref name="layer"/> and the layer itself in the current mode through the model's graph executor; returns its float32 output, owned by the caller.</summary>
    public static Tensor Run(Model model, Tensor input, int layer) => model.Run(input, [layer])[0];

    /// <summary>
    /// Runs layer <paramref name="layer"/> like <see cref="Run(Model, Tensor, int)"/>; when <paramref name="beforeActivation"/>
    /// is true the layer stops before its activation (a Dense or Conv2D layer's fused activation is skipped, a standalone
    /// Activation layer passes its input through), which gives the class scores before softmax or sigmoid. Returns the
    /// float32 output, owned by the caller.
    /// </summary>
    public static Tensor Run(Model model, Tensor input, int layer, bool beforeActivation) =>
        model.Run(input, [layer], new GraphRun { OutputBeforeActivation = beforeActivation })[0];

    /// <summary>Returns the input as a batch: one image [C, H, W] becomes [1, C, H, W] (a view); a batch [N, C, H, W] is returned as an alias. The caller disposes the result.</summary>
    public static Tensor AsBatch(Tensor input, string paramName)
    {
        ArgumentNullException.ThrowIfNull(input, paramName);
        return input.dim() == 3 ? input.unsqueeze(0) : input.alias();
    }

    /// <summary>Resolves a 0-based (or negative, from the end) layer index.</summary>
    public static LayerInfo Resolve(Model model, int layerIndex, string paramName) => model.ResolveLayer(layerIndex, paramName);

    /// <summary>Resolves a layer name (ordinal, case-sensitive as in Keras).</summary>
    public static LayerInfo Resolve(Model model, string layerName, string paramName) => model.ResolveLayer(layerName, paramName);

    /// <summary>Resolves a layer that must produce feature maps (height, width, channels); by default <see cref="GradCam.DefaultLayer"/>.</summary>
    public static LayerInfo ResolveSpatial(Model model, string? layerName, string paramName)
    {
        if (layerName is null)
        {
            return GradCam.FindDefaultLayer(model)
                ?? throw new ArgumentException("No layer of the model outputs feature maps; pass the name of a layer that does.", paramName);
        }

        var layer = Resolve(model, layerName, paramName);
        if (!layer.OutputShape.IsSpatial)
        {
            throw new ArgumentException(
                $"Layer '{layer.Name}' ({layer.TypeName}) outputs {layer.OutputShape}, not feature maps. Choose a convolution or pooling layer: " +
                string.Join(", ", model.Layers.Where(l => l.OutputShape.IsSpatial).Select(l => l.Name)) + ".",
                paramName);
        }

        return layer;
    }

    /// <summary>
    /// Checks that <paramref name="classIndex"/> is a class of the model's flat output: 0..units − 1, or 0..1 for a
    /// single output unit (class 1 is the unit, class 0 its opposite, as Keras' <c>predict_classes</c>).
    /// </summary>
    public static void ValidateClassIndex(Model model, int classIndex, string paramName)
    {
        var units = model.OutputShape.Channels;
        var classes = units == 1 ? 2 : units;
        if (model.OutputShape.IsSpatial)
        {
            throw new ArgumentException(
                $"The model's output is {model.OutputShape}, not class scores: attribution needs a model that ends in a Dense layer.", paramName);
        }

        if (classIndex < 0 || classIndex >= classes)
        {
            throw new ArgumentOutOfRangeException(paramName, classIndex,
                units == 1
                    ? $"The model has one output unit (a binary classifier): use class 1 for the unit (the positive class) or 0 for its opposite."
                    : $"The model's output is {model.OutputShape}: use a class index in 0..{units - 1}.");
        }
    }
}
