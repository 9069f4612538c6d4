// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Takes a contiguous range of channels (or features): channels <see cref="Start"/> to
/// <see cref="Start"/> + <see cref="Count"/> − 1. ONNX <c>Split</c> on the channel axis becomes one such layer per
/// output (for example the R, G and B planes that a preprocessing graph reorders to BGR). No parameters.
/// </summary>
[LayerType("ChannelSlice", "channel_slice")]
public sealed record ChannelSliceOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the first channel taken (0-based).</summary>
    /// <value>Required; at least 0.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public required int Start { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Start)); field = value; } }

    /// <summary>Gets the number of channels taken.</summary>
    /// <value>Required; at least 1.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is 0 or negative.</exception>
    public required int Count { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Count)); field = value; } }

    internal static ChannelSliceOptions Read(LayerReader r) => new() { Start = r.Int("start"), Count = r.Int("count") };

    internal override void WriteFields(LayerWriter w)
    {
        w.Int("start", Start);
        w.Int("count", Count);
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Node("Slice", [inputs[0], onnx.Int64s("starts", Start), onnx.Int64s("ends", (long)Start + Count), onnx.Int64s("axes", 1)]);

    internal override LayerDefinition Define(LayerContext context)
    {
        var input = context.Input;
        if ((long)Start + Count > input.Channels)
        {
            throw context.ShapeError($"channels {Start} to {(long)Start + Count - 1} do not exist: the input has {input.Channels}. Lower Start or Count");
        }

        var output = input.IsSpatial ? new LayerShape(input.Height, input.Width, Count) : new LayerShape(Count);
        return new(output, () => new ChannelSliceModule(context.Name, Start, Count));
    }
}

/// <summary>Narrows axis 1 (channels of [N, C, H, W], features of [N, F]).</summary>
internal sealed class ChannelSliceModule(string name, int start, int count) : LayerModule(name)
{
    public override Tensor forward(Tensor input) => input.narrow(1, start, count);
}
