// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>Pads feature maps with zero rows and columns (Keras <c>layer_zero_padding_2d</c> / <c>ZeroPadding2D</c>).</summary>
[LayerType("ZeroPadding2D", "zero_padding2d")]
public sealed record ZeroPadding2DOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the zero rows added above.</summary>
    /// <value>The default value is 1, as Keras' <c>padding = c(1, 1)</c>.</value>
    public int Top { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Top)); field = value; } } = 1;

    /// <summary>Gets the zero rows added below.</summary>
    /// <value>The default value is 1.</value>
    public int Bottom { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Bottom)); field = value; } } = 1;

    /// <summary>Gets the zero columns added on the left.</summary>
    /// <value>The default value is 1.</value>
    public int Left { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Left)); field = value; } } = 1;

    /// <summary>Gets the zero columns added on the right.</summary>
    /// <value>The default value is 1.</value>
    public int Right { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Right)); field = value; } } = 1;

    internal static ZeroPadding2DOptions Read(LayerReader r) =>
        new() { Top = r.Int("top"), Bottom = r.Int("bottom"), Left = r.Int("left"), Right = r.Int("right") };

    internal override void WriteFields(LayerWriter w)
    {
        w.Int("top", Top);
        w.Int("bottom", Bottom);
        w.Int("left", Left);
        w.Int("right", Right);
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Node("Pad", [inputs[0], onnx.Int64s("pads", 0, 0, Top, Left, 0, 0, Bottom, Right)]);

    internal override LayerDefinition Define(LayerContext context)
    {
        var input = context.RequireSpatial();
        var (height, width) = ((long)input.Height + Top + Bottom, (long)input.Width + Left + Right);
        if (height > int.MaxValue || width > int.MaxValue)
        {
            throw context.ShapeError($"the padded size {height}×{width} is too large");
        }

        long[] pad = [Left, Right, Top, Bottom];
        return new LayerDefinition(new LayerShape((int)height, (int)width, input.Channels), () => new ZeroPadding2DModule(context.Name, pad));
    }
}

/// <summary>Zero padding of the two spatial axes.</summary>
internal sealed class ZeroPadding2DModule(string name, long[] pad) : LayerModule(name)
{
    public override Tensor forward(Tensor input) => nn.functional.pad(input, pad);
}
