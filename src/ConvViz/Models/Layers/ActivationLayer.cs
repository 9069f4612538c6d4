// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>A standalone activation layer (Keras <c>layer_activation</c> / <c>Activation</c>).</summary>
[LayerType("Activation", "activation")]
public sealed record ActivationOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the activation.</summary>
    /// <value>There is no default; the value is required.</value>
    public required Activation Activation { get; init { ThrowIfUndefined(value, nameof(Activation)); field = value; } }

    internal static ActivationOptions Read(LayerReader r) => new() { Activation = r.Enum<Activation>("activation") };

    internal override void WriteFields(LayerWriter w) => w.Enum("activation", Activation);

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Activate(inputs[0], Activation);

    internal override LayerDefinition Define(LayerContext context) => new(context.Input, () => new ActivationModule(context.Name, Activation));
}

/// <summary>A standalone activation layer.</summary>
internal sealed class ActivationModule(string name, Activation activation) : LayerModule(name)
{
    /// <summary>Gets the activation this layer applies.</summary>
    internal Activation Activation => activation;

    public override Tensor forward(Tensor input) => Activate(input, activation);

    internal override Tensor ForwardBeforeActivation(Tensor input) => input.alias();
}
