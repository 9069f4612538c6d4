// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;

namespace ConvViz.Models;

/// <summary>
/// The output of a layer added to a <see cref="FunctionalBuilder"/> (Keras' symbolic tensor): pass it to later
/// layers as their input, and the last one to <see cref="FunctionalBuilder.Build"/>. It holds no values.
/// </summary>
public sealed class LayerOutput
{
    internal LayerOutput(FunctionalBuilder owner, int index, string layerName, LayerShape shape)
    {
        Owner = owner;
        Index = index;
        LayerName = layerName;
        Shape = shape;
    }

    /// <summary>Gets the 0-based index of the layer that produces this output (0 is the input layer).</summary>
    public int Index { get; }

    /// <summary>Gets the name of the layer that produces this output.</summary>
    public string LayerName { get; }

    /// <summary>Gets the output's shape, Keras order, batch axis excluded.</summary>
    public LayerShape Shape { get; }

    internal FunctionalBuilder Owner { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{LayerName} {Shape}";
}
