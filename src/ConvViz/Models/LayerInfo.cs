// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Describes one layer of a built <see cref="Model"/>: its position, name, kind, output shape and size.</summary>
public sealed class LayerInfo
{
    internal LayerInfo(int index, string name, LayerKind kind, LayerShape inputShape, LayerShape outputShape, long parameterCount, long trainableParameterCount)
    {
        Index = index;
        Name = name;
        Kind = kind;
        InputShape = inputShape;
        OutputShape = outputShape;
        ParameterCount = parameterCount;
        TrainableParameterCount = trainableParameterCount;
    }

    /// <summary>Gets the 0-based position of the layer (R's <c>get_layer(index = i)</c> is <c>Index = i - 1</c>).</summary>
    public int Index { get; }

    /// <summary>Gets the layer name, unique within the model (<c>conv2d</c>, <c>conv2d_1</c>, …).</summary>
    public string Name { get; }

    /// <summary>Gets the layer kind.</summary>
    public LayerKind Kind { get; }

    /// <summary>Gets the shape the layer receives, Keras order, batch axis excluded.</summary>
    public LayerShape InputShape { get; }

    /// <summary>Gets the shape the layer produces, Keras order, batch axis excluded.</summary>
    public LayerShape OutputShape { get; }

    /// <summary>Gets the number of parameters of the layer, trainable or not (Keras' <c>Param #</c>).</summary>
    public long ParameterCount { get; }

    /// <summary>Gets the number of trainable parameters (for BatchNormalization, gamma and beta but not the moving statistics).</summary>
    public long TrainableParameterCount { get; }

    /// <summary>Gets the number of non-trainable parameters (BatchNormalization's moving mean and variance).</summary>
    public long NonTrainableParameterCount => ParameterCount - TrainableParameterCount;

    /// <inheritdoc/>
    public override string ToString() => $"{Index}: {Name} ({Kind}) {OutputShape} {ParameterCount:N0} params";
}
