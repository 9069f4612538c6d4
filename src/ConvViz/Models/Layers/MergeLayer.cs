// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Base of Keras' merge layers, which combine the outputs of two or more earlier layers of a functional model
/// (<c>FunctionalBuilder</c>): the element-wise ones (<c>Add</c>, <c>Subtract</c>, <c>Multiply</c>,
/// <c>Average</c>, <c>Maximum</c>, <c>Minimum</c>) need inputs of one shape; <c>Concatenate</c> joins them along the
/// channel axis. Each merge type is one record in its own file.
/// </summary>
public abstract record MergeOptions : LayerOptions
{
    private protected MergeOptions()
    {
    }

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    internal override int MinInputs => 2;

    internal override int MaxInputs => int.MaxValue;

    /// <summary>The shape rule of the element-wise merges: every input has the same shape, which is the output's.</summary>
    private protected static LayerShape SameShape(LayerContext context)
    {
        var first = context.Inputs[0];
        if (context.Inputs.Any(s => !s.Equals(first)))
        {
            throw context.ShapeError(
                $"{context.TypeName} needs inputs of one shape. Make them agree first: a 1×1 Conv2D changes the channels, a strided convolution or pooling the height and width");
        }

        return first;
    }
}

/// <summary>The element-wise operations of the merge layers.</summary>
internal enum ElementwiseMerge
{
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
}

/// <summary>Base of the merge modules: they take several inputs through <see cref="LayerModule.Invoke"/>; <c>forward</c> on one tensor is refused.</summary>
internal abstract class MergeModule(string name) : LayerModule(name)
{
    public override Tensor forward(Tensor input) =>
        throw new InvalidOperationException($"Layer '{GetName()}' merges several inputs; it runs inside its model's graph, not on one tensor.");
}

/// <summary>An element-wise merge of inputs of one shape.</summary>
internal sealed class ElementwiseMergeModule(string name, ElementwiseMerge operation) : MergeModule(name)
{
    /// <summary>Gets a value indicating whether this merge adds its inputs (the graph executor may fuse such an addition into a convolution).</summary>
    internal bool IsAddition => operation == ElementwiseMerge.Add;

    internal override Tensor Invoke(IReadOnlyList<Tensor> inputs)
    {
        if (operation == ElementwiseMerge.Subtract)
        {
            return inputs[0].sub(inputs[1]);
        }

        var result = inputs[0].alias();
        for (var i = 1; i < inputs.Count; i++)
        {
            var next = operation switch
            {
                ElementwiseMerge.Add or ElementwiseMerge.Average => result.add(inputs[i], Scalars.One),
                ElementwiseMerge.Multiply => result.mul(inputs[i]),
                ElementwiseMerge.Maximum => result.maximum(inputs[i]),
                ElementwiseMerge.Minimum => result.minimum(inputs[i]),
                _ => throw new InvalidOperationException($"Unknown merge {operation}."),
            };
            result.Dispose();
            result = next;
        }

        if (operation == ElementwiseMerge.Average)
        {
            using var sum = result;
            using var count = Scalars.Create(inputs.Count);
            return sum.div(count);
        }

        return result;
    }
}
