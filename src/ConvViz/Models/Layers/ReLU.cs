// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Keras' <c>ReLU</c> layer with its three options: a cap (<c>max_value</c>), a slope below the threshold
/// (<c>negative_slope</c>) and a threshold (<c>threshold</c>). With the defaults it is the plain ReLU.
/// </summary>
/// <remarks>
/// <para>It computes what Keras' backend computes (Keras 2.x and 3.x agree), which is not always the formula in Keras'
/// documentation: the part above the threshold is x where x &gt; <see cref="Threshold"/> and 0 elsewhere; with a cap it
/// is then clipped to [0, <see cref="MaxValue"/>] (so with a negative threshold and a cap, values between the threshold
/// and 0 become 0); finally <see cref="NegativeSlope"/> × max(<see cref="Threshold"/> − x, 0) is subtracted.</para>
/// <para>The output has the input's shape. No parameters.</para>
/// </remarks>
[LayerType("ReLU", "re_lu")]
public sealed record ReLUOptions : LayerOptions
{
    /// <inheritdoc/>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the cap (Keras <c>max_value</c>), or <see langword="null"/> for none.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double? MaxValue
    {
        get;
        init
        {
            if (value is { } v && (!double.IsFinite(v) || v < 0))
            {
                throw new ArgumentOutOfRangeException(nameof(MaxValue), value, "ReLUOptions.MaxValue must be a finite number ≥ 0, or null for no cap.");
            }

            field = value;
        }
    }

    /// <summary>Gets the slope below the threshold (Keras <c>negative_slope</c>).</summary>
    /// <value>The default value is 0.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double NegativeSlope
    {
        get;
        init
        {
            if (!double.IsFinite(value) || value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(NegativeSlope), value, "ReLUOptions.NegativeSlope must be a finite number ≥ 0.");
            }

            field = value;
        }
    }

    /// <summary>Gets the threshold below which the slope applies (Keras <c>threshold</c>).</summary>
    /// <value>The default value is 0.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not finite.</exception>
    public double Threshold
    {
        get;
        init
        {
            if (!double.IsFinite(value))
            {
                throw new ArgumentOutOfRangeException(nameof(Threshold), value, "ReLUOptions.Threshold must be a finite number.");
            }

            field = value;
        }
    }

    internal static ReLUOptions Read(LayerReader r) => new()
    {
        MaxValue = r.NullableDouble("max_value"),
        NegativeSlope = r.Double("negative_slope"),
        Threshold = r.Double("threshold"),
    };

    internal override void WriteFields(LayerWriter w)
    {
        w.NullableDouble("max_value", MaxValue);
        w.Double("negative_slope", NegativeSlope);
        w.Double("threshold", Threshold);
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs)
    {
        var x = inputs[0];
        if (NegativeSlope != 0 && MaxValue is null && Threshold == 0)
        {
            return onnx.Node("LeakyRelu", [x], OnnxGraph.Float("alpha", (float)NegativeSlope));
        }

        var positive = Threshold != 0
            ? onnx.Node("Mul", [x, onnx.Node("Cast", [onnx.Node("Greater", [x, onnx.Scalar("threshold", (float)Threshold)])], OnnxGraph.Int("to", (int)TensorProto.Types.DataType.Float))])
            : onnx.Node("Relu", [x]);
        if (MaxValue is { } cap)
        {
            positive = onnx.Node("Clip", [positive, onnx.Scalar("min", 0f), onnx.Scalar("max", (float)cap)]);
        }

        if (NegativeSlope == 0)
        {
            return positive;
        }

        // positive − slope · max(threshold − x, 0)
        var below = onnx.Node("Relu", [onnx.Node("Sub", [onnx.Scalar("threshold", (float)Threshold), x])]);
        return onnx.Node("Sub", [positive, onnx.Node("Mul", [below, onnx.Scalar("slope", (float)NegativeSlope)])]);
    }

    internal override LayerDefinition Define(LayerContext context) =>
        new(context.Input, () => new ReLUModule(context.Name, MaxValue, NegativeSlope, Threshold));
}

internal sealed class ReLUModule(string name, double? maxValue, double negativeSlope, double threshold) : LayerModule(name)
{
    /// <summary>Gets a value indicating whether this layer is max(x, 0): no cap, no negative slope, threshold 0.</summary>
    internal bool IsPlain => maxValue is null && negativeSlope == 0 && threshold == 0;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var thresholdScalar = Scalars.Create(threshold);
        using var slopeScalar = Scalars.Create(negativeSlope);
        if (negativeSlope != 0 && maxValue is null && threshold == 0)
        {
            return input.leaky_relu(slopeScalar).MoveToOuterDisposeScope();
        }

        var positive = threshold != 0
            ? input.mul(input.gt(thresholdScalar).to_type(input.dtype))
            : nn.functional.relu(input);
        if (maxValue is { } cap)
        {
            using var capScalar = Scalars.Create(cap);
            positive = positive.clamp(Scalars.Zero, capScalar);
        }

        if (negativeSlope == 0)
        {
            return positive.MoveToOuterDisposeScope();
        }

        // max(threshold − x, 0), scaled by the slope.
        var below = nn.functional.relu(input.neg().add(thresholdScalar, Scalars.One));
        return positive.sub(below.mul(slopeScalar)).MoveToOuterDisposeScope();
    }
}
