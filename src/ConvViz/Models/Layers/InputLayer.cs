// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// The input of a functional model (Keras <c>layer_input</c> / <c>InputLayer</c>): layer 0 of every model built by
/// <c>FunctionalBuilder</c>, which passes the (preprocessed) image on unchanged, so that layer indices count as
/// in Keras. Sequential models have none, as in Keras. Add it only through <c>FunctionalBuilder</c>.
/// </summary>
[LayerType("InputLayer", "input_layer")]
public sealed record InputLayerOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    internal override bool IsModelInput => true;

    internal static InputLayerOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    internal override LayerDefinition Define(LayerContext context) => new(context.Input, () => new InputLayerModule(context.Name));
}

/// <summary>Passes the model's input on (an alias the caller owns).</summary>
internal sealed class InputLayerModule(string name) : LayerModule(name)
{
    public override Tensor forward(Tensor input) => input.alias();
}
