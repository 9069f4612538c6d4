// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>An inverted-dropout layer (Keras <c>layer_dropout</c> / <c>Dropout</c>), active only while training.</summary>
[LayerType("Dropout", "dropout")]
public sealed record DropoutOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="true"/>: dropout is the identity outside training.</value>
    public override bool IsTrainingOnly => true;

    /// <summary>Gets the fraction of inputs dropped while training, in [0, 1).</summary>
    /// <value>There is no default; the value is required.</value>
    public required double Rate
    {
        get;
        init
        {
            if (!(value >= 0 && value < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(Rate), value, "The dropout rate must be in [0, 1).");
            }

            field = value;
        }
    }

    internal static DropoutOptions Read(LayerReader r) => new() { Rate = r.Double("rate") };

    internal override void WriteFields(LayerWriter w) => w.Double("rate", Rate);

    internal override LayerDefinition Define(LayerContext context) => new(context.Input, () => new DropoutModule(context.Name, Rate));
}

/// <summary>Inverted dropout, active only in training mode.</summary>
internal sealed class DropoutModule(string name, double rate) : LayerModule(name)
{
    public override Tensor forward(Tensor input) =>
        training && rate > 0 ? nn.functional.dropout(input, rate, training: true) : input.alias();
}
