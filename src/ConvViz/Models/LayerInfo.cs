// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;

namespace ConvViz.Models;

/// <summary>Describes one layer of a built <see cref="Model"/>: its position, name, type, options, shapes and size.</summary>
public sealed class LayerInfo
{
    internal LayerInfo(int index, string name, LayerOptions options, IReadOnlyList<LayerInfo> inputs, IReadOnlyList<LayerShape> inputShapes, LayerShape outputShape, long parameterCount, long trainableParameterCount, IReadOnlyList<string> weightNames)
    {
        Index = index;
        Name = name;
        Options = options;
        Inputs = inputs;
        InputShapes = inputShapes;
        InputShape = inputShapes[0];
        OutputShape = outputShape;
        ParameterCount = parameterCount;
        WeightTrainableParameterCount = trainableParameterCount;
        WeightNames = weightNames;
    }

    /// <summary>Gets the 0-based position of the layer (R's <c>get_layer(index = i)</c> is <c>Index = i - 1</c>).</summary>
    public int Index { get; }

    /// <summary>Gets the layer name, unique within the model (<c>conv2d</c>, <c>conv2d_1</c>, …).</summary>
    public string Name { get; }

    /// <summary>Gets the layer's options (with its resolved name): match on the record type, for example <c>layer.Options is Conv2DOptions conv</c>.</summary>
    public LayerOptions Options { get; }

    /// <summary>Gets the layer type: Keras' class name (<c>Conv2D</c>, <c>MaxPooling2D</c>, <c>Dense</c>, …).</summary>
    public string TypeName => Options.TypeName;

    /// <summary>
    /// Gets the layers whose outputs this layer takes, in order: the previous layer in a sequential model, two or more
    /// for a merge (<c>Add</c>, <c>Concatenate</c>, …), and none for the layer that takes the model's input image (the
    /// first layer of a sequential model, or a functional model's <c>InputLayer</c>).
    /// </summary>
    public IReadOnlyList<LayerInfo> Inputs { get; }

    /// <summary>Gets the shape the layer receives (for a merge, its first input's), Keras order, batch axis excluded.</summary>
    public LayerShape InputShape { get; }

    /// <summary>Gets the shapes of all the layer's inputs, in order (one for every layer but the merges).</summary>
    public IReadOnlyList<LayerShape> InputShapes { get; }

    /// <summary>Gets the shape the layer produces, Keras order, batch axis excluded.</summary>
    public LayerShape OutputShape { get; }

    /// <summary>Gets the number of parameters of the layer, trainable or not (Keras' <c>Param #</c>).</summary>
    public long ParameterCount { get; }

    /// <summary>
    /// Gets the number of trainable parameters (for BatchNormalization, gamma and beta but not the moving statistics);
    /// 0 while the layer is frozen (<see cref="Trainable"/> is <see langword="false"/>), as Keras counts a frozen layer's weights as non-trainable.
    /// </summary>
    public long TrainableParameterCount => Trainable ? WeightTrainableParameterCount : 0;

    /// <summary>
    /// Gets a value indicating whether training updates the layer (Keras' <c>layer$trainable</c>). A frozen layer's
    /// weights get no gradient and are not passed to the optimizer, and a frozen BatchNormalization runs in inference
    /// mode (moving statistics, not updated) even during <c>Fit</c>. Change it with <see cref="Model.Freeze()"/>,
    /// <see cref="Model.Unfreeze()"/> or <see cref="Model.SetTrainable(string, bool)"/>; it is saved with the model.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Trainable { get; internal set; } = true;

    /// <summary>Gets the number of parameters the layer's definition marks trainable, whether or not the layer is frozen.</summary>
    internal long WeightTrainableParameterCount { get; }

    /// <summary>Gets the names of the layer's weights in file order (<c>kernel</c>, <c>bias</c>; <c>gamma</c>, <c>beta</c>, <c>moving_mean</c>, <c>moving_variance</c>); read one with <see cref="Model.GetWeight"/>.</summary>
    public IReadOnlyList<string> WeightNames { get; }

    /// <summary>Gets the number of non-trainable parameters (BatchNormalization's moving mean and variance; every parameter of a frozen layer).</summary>
    public long NonTrainableParameterCount => ParameterCount - TrainableParameterCount;

    /// <inheritdoc/>
    public override string ToString() => $"{Index}: {Name} ({TypeName}) {OutputShape} {ParameterCount:N0} params";
}
