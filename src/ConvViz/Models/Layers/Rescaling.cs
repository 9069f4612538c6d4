// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Keras' <c>Rescaling</c> layer: x · <see cref="Scale"/> + <see cref="Offset"/>, element-wise, as the first layer of
/// models that take raw 0–255 pixels (<c>layer_rescaling(scale = 1/255)</c>). The output has the input's shape; no
/// parameters.
/// </summary>
[LayerType("Rescaling", "rescaling")]
public sealed record RescalingOptions : LayerOptions
{
    /// <inheritdoc/>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the factor (Keras <c>scale</c>).</summary>
    /// <value>Required. In C#, <c>1 / 255</c> is the integer 0: write <c>1.0 / 255</c>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is 0 or not finite.</exception>
    public required double Scale
    {
        get;
        init
        {
            if (!double.IsFinite(value) || value == 0)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(Scale), value, "RescalingOptions.Scale must be a finite, non-zero number (1 / 255 is 0 in C#: write 1.0 / 255).");
            }

            field = value;
        }
    }

    /// <summary>Gets the value added after scaling (Keras <c>offset</c>).</summary>
    /// <value>The default value is 0.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not finite.</exception>
    public double Offset
    {
        get;
        init
        {
            if (!double.IsFinite(value))
            {
                throw new ArgumentOutOfRangeException(nameof(Offset), value, "RescalingOptions.Offset must be a finite number.");
            }

            field = value;
        }
    }

    internal static RescalingOptions Read(LayerReader r) => new() { Scale = r.Double("scale"), Offset = r.Double("offset") };

    internal override void WriteFields(LayerWriter w)
    {
        w.Double("scale", Scale);
        w.Double("offset", Offset);
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        Offset == 0
        ? onnx.Node("Mul", [inputs[0], onnx.Scalar("scale", (float)Scale)])
        : onnx.Node("Add", [onnx.Node("Mul", [inputs[0], onnx.Scalar("scale", (float)Scale)]), onnx.Scalar("offset", (float)Offset)]);

    internal override LayerDefinition Define(LayerContext context) => new(context.Input, () => new RescalingModule(context.Name, Scale, Offset));
}

internal sealed class RescalingModule(string name, double scale, double offset) : LayerModule(name)
{
    public override Tensor forward(Tensor input)
    {
        using var scaleScalar = Scalars.Create(scale);
        if (offset == 0)
        {
            return input.mul(scaleScalar);
        }

        using var offsetScalar = Scalars.Create(offset);
        using var scaled = input.mul(scaleScalar);
        return scaled.add(offsetScalar, Scalars.One);
    }
}
