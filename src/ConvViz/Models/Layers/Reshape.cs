// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Gives each sample a new shape with the same values (Keras <c>layer_reshape(target_shape)</c> / <c>Reshape</c>): a
/// feature map (height, width, channels) or a vector (units), in Keras order, with at most one dimension −1 inferred
/// from the others.
/// </summary>
/// <remarks>
/// Keras reshapes channels-last data, reading and writing the values in (height, width, channels) order with the
/// channel fastest. ConvViz's feature maps are [N, C, H, W], so the layer reads them in Keras' order, reshapes, and
/// returns a feature map [N, C, H, W] again: the result is what Keras computes, value for value, and Dense weights
/// read from Keras models still fit. No parameters.
/// </remarks>
[LayerType("Reshape", "reshape")]
public sealed record ReshapeOptions : LayerOptions
{
    private readonly int[] _targetShape = [];

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>
    /// Gets the shape of each output sample in Keras order, without the batch axis: <c>[height, width, channels]</c> or
    /// <c>[units]</c> (Keras <c>target_shape</c>). One dimension may be −1: it is inferred so that the number of
    /// values stays the same.
    /// </summary>
    /// <value>There is no default; the value is required. The options keep a copy.</value>
    /// <exception cref="ArgumentException">The shape does not have 1 or 3 dimensions, a dimension is 0 or below −1, or more than one is −1.</exception>
    public required IReadOnlyList<int> TargetShape
    {
        get => Array.AsReadOnly(_targetShape);
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(TargetShape));
            int[] shape = [.. value];
            if (shape.Length is not (1 or 3) || shape.Any(d => d == 0 || d < -1) || shape.Count(d => d == -1) > 1)
            {
                throw new ArgumentException(
                    $"ReshapeOptions.TargetShape must be [units] or [height, width, channels] with positive sizes and at most one −1 (inferred); got [{string.Join(", ", shape)}].",
                    nameof(TargetShape));
            }

            _targetShape = shape;
        }
    }

    /// <inheritdoc/>
    public bool Equals(ReshapeOptions? other) => other is not null && base.Equals(other) && _targetShape.AsSpan().SequenceEqual(other._targetShape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(base.GetHashCode());
        foreach (var d in _targetShape)
        {
            hash.Add(d);
        }

        return hash.ToHashCode();
    }

    internal static ReshapeOptions Read(LayerReader r) => new() { TargetShape = r.Ints("target_shape") };

    internal override void WriteFields(LayerWriter w) => w.Ints("target_shape", _targetShape);

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs)
    {
        // Keras reshapes channels-last values: to NHWC, reshape (0 keeps the batch size), and back to NCHW for a feature map.
        var layer = onnx.Layer;
        var nhwc = layer.Input.IsSpatial ? onnx.ToChannelsLast(inputs[0]) : inputs[0];
        var reshaped = onnx.Node("Reshape", [nhwc, onnx.Int64s("shape", [0, .. onnx.Output.Dimensions.Select(d => (long)d)])]);
        return onnx.Output.IsSpatial ? onnx.ToChannelsFirst(reshaped) : reshaped;
    }

    internal override LayerDefinition Define(LayerContext context)
    {
        var input = context.Input;
        var count = input.ElementCount;
        var target = _targetShape.Select(d => (long)d).ToArray();
        var product = target.Where(d => d != -1).Aggregate(Int128.One, (a, b) => a * b);
        var known = product > long.MaxValue ? long.MaxValue : (long)product;
        var unknown = Array.IndexOf(_targetShape, -1);
        if (unknown >= 0)
        {
            if (count % known != 0)
            {
                throw context.ShapeError(
                    $"its {count:N0} values per sample cannot fill target shape {LayerContext.FormatShape(target)}: {count:N0} is not a multiple of {known:N0}. Change the target shape");
            }

            target[unknown] = count / known;
            if (target[unknown] > int.MaxValue)
            {
                throw context.ShapeError($"the inferred size {target[unknown]:N0} is too large");
            }
        }
        else if (known != count)
        {
            throw context.ShapeError(
                $"target shape {LayerContext.FormatShape(target)} holds {known:N0} values per sample, but the input has {count:N0}. Make both products equal, or write −1 for one size to infer it");
        }

        var output = new LayerShape([.. target.Select(d => (int)d)]);
        return new LayerDefinition(output, () => new ReshapeModule(context.Name, output));
    }
}

/// <summary>Reshapes in Keras' channels-last order: [N, C, H, W] is read as [N, H, W, C], reshaped, and returned as [N, C, H, W].</summary>
internal sealed class ReshapeModule(string name, LayerShape output) : LayerModule(name)
{
    private readonly long[] _sampleShape = [.. output.Dimensions.Select(d => (long)d)];

    public override Tensor forward(Tensor input)
    {
        long[] kerasShape = [input.shape[0], .. _sampleShape];
        using var channelsLast = input.dim() == 4 ? input.permute(0, 2, 3, 1) : input.alias();
        if (kerasShape.Length == 2)
        {
            return channelsLast.reshape(kerasShape);
        }

        using var reshaped = channelsLast.reshape(kerasShape);
        return reshaped.permute(0, 3, 1, 2);
    }
}
