// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>A standalone activation layer (Keras <c>layer_activation</c> / <c>Activation</c>).</summary>
[LayerType("Activation", "activation")]
public sealed record ActivationOptions : LayerOptions
{
    /// <summary>Gets the activation.</summary>
    /// <value>There is no default; the value is required.</value>
    public required Activation Activation { get; init { ThrowIfUndefined(value, nameof(Activation)); field = value; } }

    internal static ActivationOptions Read(LayerReader r) => new() { Activation = r.Enum<Activation>("activation") };

    internal override void WriteFields(LayerWriter w) => w.Enum("activation", Activation);

    internal override LayerDefinition Define(LayerContext context) => new(context.Input, () => new ActivationModule(context.Name, Activation));
}

/// <summary>A standalone activation layer.</summary>
internal sealed class ActivationModule(string name, Activation activation) : LayerModule(name)
{
    public override Tensor forward(Tensor input) => Activate(input, activation);

    internal override Tensor ForwardBeforeActivation(Tensor input) => input.alias();
}

/// <content>Activation.</content>
public static partial class SequentialBuilderExtensions
{
    /// <summary>Adds a standalone activation (Keras <c>layer_activation(activation)</c>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="activation">The activation.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The activation is not an <see cref="Activation"/> member.</exception>
    public static SequentialBuilder AddActivation(this SequentialBuilder builder, Activation activation) =>
        builder.Add(() => new ActivationOptions { Activation = activation }, nameof(activation));

    /// <summary>Adds a standalone activation with a chosen name.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">The options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public static SequentialBuilder AddActivation(this SequentialBuilder builder, ActivationOptions options) => builder.Add(options);
}
