// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Joins its inputs along the channel axis (Keras <c>layer_concatenate(axis = -1)</c> / <c>Concatenate</c>, the
/// default axis): feature maps of one height and width give a map with the sum of their channels; flat inputs give a
/// vector with the sum of their units. Inception modules and DenseNet blocks are built from it.
/// </summary>
[LayerType("Concatenate", "concatenate")]
public sealed record ConcatenateOptions : MergeOptions
{
    internal static ConcatenateOptions Read(LayerReader r) => new();

    internal override void WriteFields(LayerWriter w)
    {
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Node("Concat", inputs, OnnxGraph.Int("axis", 1));

    internal override LayerDefinition Define(LayerContext context)
    {
        var first = context.Inputs[0];
        if (context.Inputs.Any(s => s.IsSpatial != first.IsSpatial || (s.IsSpatial && (s.Height != first.Height || s.Width != first.Width))))
        {
            throw context.ShapeError(context.Inputs.All(s => s.IsSpatial)
                ? "Concatenate joins feature maps along the channel axis, so their height and width must agree. Resize one branch first (a strided convolution or pooling, or ZeroPadding2D)"
                : "Concatenate joins flat inputs or feature maps, not both. Flatten or globally pool the feature maps first");
        }

        var channels = context.Inputs.Sum(s => (long)s.Channels);
        if (channels > int.MaxValue)
        {
            throw context.ShapeError($"the joined input would have {channels:N0} channels");
        }

        var output = first.IsSpatial ? new LayerShape(first.Height, first.Width, (int)channels) : new LayerShape((int)channels);
        return new(output, () => new ConcatenateModule(context.Name));
    }
}

/// <summary>Concatenates [N, C_i, H, W] (or [N, C_i]) tensors along axis 1.</summary>
internal sealed class ConcatenateModule(string name) : MergeModule(name)
{
    internal override Tensor Invoke(IReadOnlyList<Tensor> inputs) => cat(inputs.ToArray(), 1);
}
