// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Arithmetic between the input and a stored constant that broadcasts over it: a per-channel scale, a mean image to
/// subtract, a scalar divisor. ONNX <c>Add</c>, <c>Sub</c>, <c>Mul</c> and <c>Div</c> with an initializer operand become
/// this layer (as in preprocessing graphs). The constant is a non-trainable weight named <c>constant</c>, saved with
/// the model; a new layer starts with zeros (<see cref="ElementwiseOperation.Add"/>, <see cref="ElementwiseOperation.Subtract"/>,
/// <see cref="ElementwiseOperation.SubtractFrom"/>) or ones (the others), so it changes nothing until
/// <c>Model.SetWeight</c> sets it.
/// </summary>
[LayerType("ElementwiseConstant", "elementwise_constant")]
public sealed record ElementwiseConstantOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the operation.</summary>
    /// <value>Required.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="ElementwiseOperation"/>.</exception>
    public required ElementwiseOperation Operation { get; init { ThrowIfUndefined(value, nameof(Operation)); field = value; } }

    /// <summary>
    /// Gets the constant's shape in TorchSharp's layout with a leading batch axis of 1: <c>[1, C, H, W]</c> for feature
    /// maps or <c>[1, F]</c> for flat inputs, where each axis is either the input's size or 1 (broadcast). For example
    /// <c>[1, 3, 1, 1]</c> is one value per channel, <c>[1, 1, 1, 1]</c> a scalar.
    /// </summary>
    /// <value>Required; 2 or 4 positive sizes starting with 1.</value>
    /// <exception cref="ArgumentException">The shape does not have 2 or 4 positive sizes starting with 1.</exception>
    public required IReadOnlyList<int> ConstantShape
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Count is not (2 or 4) || value[0] != 1 || value.Any(d => d <= 0))
            {
                throw new ArgumentException(
                    $"ElementwiseConstantOptions.ConstantShape [{string.Join(", ", value)}] must be [1, C, H, W] or [1, F], each size positive (1 broadcasts).",
                    nameof(ConstantShape));
            }

            field = [.. value];
        }
    }

    internal static ElementwiseConstantOptions Read(LayerReader r) =>
        new() { Operation = r.Enum<ElementwiseOperation>("operation"), ConstantShape = r.Ints("constant_shape") };

    internal override void WriteFields(LayerWriter w)
    {
        w.Enum("operation", Operation);
        w.Ints("constant_shape", ConstantShape);
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs)
    {
        var constant = onnx.Weight("constant");
        return Operation switch
        {
            ElementwiseOperation.Add => onnx.Node("Add", [inputs[0], constant]),
            ElementwiseOperation.Subtract => onnx.Node("Sub", [inputs[0], constant]),
            ElementwiseOperation.Multiply => onnx.Node("Mul", [inputs[0], constant]),
            ElementwiseOperation.Divide => onnx.Node("Div", [inputs[0], constant]),
            ElementwiseOperation.SubtractFrom => onnx.Node("Sub", [constant, inputs[0]]),
            _ => onnx.Node("Div", [constant, inputs[0]]),
        };
    }

    internal override LayerDefinition Define(LayerContext context)
    {
        var input = context.Input;
        long[] torchShape = input.IsSpatial ? [1, input.Channels, input.Height, input.Width] : [1, input.Channels];
        if (ConstantShape.Count != torchShape.Length)
        {
            throw context.ShapeError($"the constant of shape [{string.Join(", ", ConstantShape)}] has rank {ConstantShape.Count}, but the input is [N, {string.Join(", ", torchShape.Skip(1))}] (rank {torchShape.Length})");
        }

        for (var i = 1; i < torchShape.Length; i++)
        {
            if (ConstantShape[i] != 1 && ConstantShape[i] != torchShape[i])
            {
                throw context.ShapeError($"the constant of shape [{string.Join(", ", ConstantShape)}] does not broadcast over the input [N, {string.Join(", ", torchShape.Skip(1))}] (axis {i})");
            }
        }

        long[] shape = [.. ConstantShape.Select(d => (long)d)];
        var fill = Operation is ElementwiseOperation.Add or ElementwiseOperation.Subtract or ElementwiseOperation.SubtractFrom ? 0f : 1f;
        return new(input, [new TensorSpec("constant", shape, false)], _ => new ElementwiseConstantModule(context.Name, Operation, shape, fill));
    }
}

/// <summary>x ∘ c with a broadcast constant buffer, computed in the input's precision.</summary>
internal sealed class ElementwiseConstantModule : LayerModule
{
    private readonly ElementwiseOperation _operation;

    public ElementwiseConstantModule(string name, ElementwiseOperation operation, long[] shape, float fill)
        : base(name)
    {
        _operation = operation;
        register_buffer("constant", fill == 0 ? zeros(shape) : ones(shape));
    }

    public override Tensor forward(Tensor input)
    {
        var stored = Buffer("constant");
        using var cast = stored.dtype == input.dtype ? null : stored.to_type(input.dtype);
        var constant = cast ?? stored;
        return _operation switch
        {
            ElementwiseOperation.Add => input.add(constant, Scalars.One),
            ElementwiseOperation.Subtract => input.sub(constant),
            ElementwiseOperation.Multiply => input.mul(constant),
            ElementwiseOperation.Divide => input.div(constant),
            ElementwiseOperation.SubtractFrom => constant.sub(input),
            _ => constant.div(input),
        };
    }
}
