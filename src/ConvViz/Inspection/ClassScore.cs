// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>The differentiable class score every attribution method starts from (see <see cref="AttributionTarget"/>).</summary>
internal static class ClassScore
{
    /// <summary>Throws when <paramref name="target"/> is not an <see cref="AttributionTarget"/> member.</summary>
    public static void ValidateTarget(AttributionTarget target, string paramName)
    {
        if (target is not (AttributionTarget.Score or AttributionTarget.Probability))
        {
            throw new ArgumentOutOfRangeException(paramName, target, "Use AttributionTarget.Score (before softmax or sigmoid, the default) or AttributionTarget.Probability.");
        }
    }

    /// <summary>
    /// Runs the model on <paramref name="x"/> and returns each image's score [N] for its class: the pre-activation score
    /// or the probability, per <paramref name="target"/>. For a single output unit, class 1 is the unit and class 0 its
    /// opposite (−logit, or 1 − p). The caller owns the tensor.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="x">The input batch; not disposed.</param>
    /// <param name="classIndex">One class for every image.</param>
    /// <param name="target">The quantity to return.</param>
    /// <param name="run">How the evaluation departs from a plain pass (a replaced layer value); <see cref="AttributionTarget.Score"/> also stops the output layer before its activation.</param>
    public static Tensor Compute(Model model, Tensor x, int classIndex, AttributionTarget target, GraphRun? run = null)
    {
        var request = (run ?? GraphRun.Plain) with { OutputBeforeActivation = target == AttributionTarget.Score };
        var output = model.Run(x, [model.Layers.Count - 1], request)[0];
        return Select(output, classIndex, target);
    }

    /// <summary>
    /// Like <see cref="Compute(Model, Tensor, int, AttributionTarget, GraphRun?)"/> with row i's score taken for class
    /// <paramref name="classes"/>[i]; when every row has the same class this is exactly that computation.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="x">The input batch [N, …]; not disposed.</param>
    /// <param name="classes">One class per row of <paramref name="x"/> (already validated).</param>
    /// <param name="target">The quantity to return.</param>
    /// <param name="run">As in the single-class overload.</param>
    public static Tensor Compute(Model model, Tensor x, int[] classes, AttributionTarget target, GraphRun? run = null)
    {
        if (classes.All(c => c == classes[0]))
        {
            return Compute(model, x, classes[0], target, run);
        }

        var request = (run ?? GraphRun.Plain) with { OutputBeforeActivation = target == AttributionTarget.Score };
        var output = model.Run(x, [model.Layers.Count - 1], request)[0];
        using var index = tensor(classes.Select(c => (long)c).ToArray()).to(output.device);
        return Select(output, index, [.. classes.Select(c => c == 0)], target);
    }

    /// <summary>
    /// Checks a class for every image of a batch of <paramref name="images"/> and returns it once per image.
    /// </summary>
    public static int[] PerImage(Model model, long images, int classIndex, string paramName)
    {
        LayerRunner.ValidateClassIndex(model, classIndex, paramName);
        return Enumerable.Repeat(classIndex, checked((int)images)).ToArray();
    }

    /// <summary>
    /// Checks one class per image of a batch of <paramref name="images"/> (as tf-keras-vis' <c>CategoricalScore([1, 294, 413])</c>)
    /// and returns a copy.
    /// </summary>
    public static int[] PerImage(Model model, long images, IReadOnlyList<int> classIndices, string paramName)
    {
        ArgumentNullException.ThrowIfNull(classIndices, paramName);
        if (classIndices.Count != images)
        {
            throw new ArgumentException(
                $"Pass one class per image: got {classIndices.Count} class(es) for a batch of {images} image(s). To explain the same class for every image, pass a single int.",
                paramName);
        }

        foreach (var classIndex in classIndices)
        {
            LayerRunner.ValidateClassIndex(model, classIndex, paramName);
        }

        return [.. classIndices];
    }

    /// <summary>Repeats each image's class for its <paramref name="copies"/> consecutive rows (image-major, as a reshape of [N, copies, …] to [N·copies, …]).</summary>
    public static int[] Repeat(int[] classes, int copies) => [.. classes.SelectMany(c => Enumerable.Repeat(c, copies))];

    /// <summary>Picks each row's class from an output [N, units] (see <see cref="Compute(Model, Tensor, int, AttributionTarget, GraphRun?)"/>); disposes <paramref name="output"/>.</summary>
    public static Tensor Select(Tensor output, int classIndex, AttributionTarget target)
    {
        using (output)
        {
            if (output.shape[1] != 1)
            {
                return output.select(1, classIndex).alias();
            }

            using var unit = output.select(1, 0);
            if (classIndex == 1)
            {
                return unit.alias();
            }

            return target == AttributionTarget.Score ? unit.neg() : unit.neg().add_(Scalars.One, Scalars.One);
        }
    }

    /// <summary>Picks row i's class <paramref name="classes"/>[i] from an output [N, units]; disposes <paramref name="output"/>.</summary>
    public static Tensor Select(Tensor output, Tensor classes, bool[] negative, AttributionTarget target)
    {
        using (output)
        {
            if (output.shape[1] != 1)
            {
                using var picked = output.gather(1, classes.view(-1, 1));
                return picked.squeeze(1);
            }

            using var unit = output.select(1, 0);
            using var sign = tensor(negative.Select(n => n ? -1f : 1f).ToArray()).to(unit.device);
            using var signed = unit.mul(sign);
            if (target == AttributionTarget.Score)
            {
                return signed.alias();
            }

            using var offset = tensor(negative.Select(n => n ? 1f : 0f).ToArray()).to(unit.device);
            return signed.add(offset, Scalars.One);
        }
    }
}
