// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// Vanilla saliency (Simonyan et al. 2013): |d score / d input|, the maximum over colour channels, divided by its maximum.
/// It shows which pixels the score is most sensitive to at this very input, which is often speckled; <see cref="SmoothGrad"/>
/// averages it over noisy copies and <see cref="IntegratedGradients"/> accumulates it along a path from a baseline.
/// </summary>
/// <remarks>The score is the class score before the output activation by default (see <see cref="AttributionTarget"/>).
/// Evaluation mode (no dropout), training state restored; gradients are taken with respect to a copy of the
/// input only, so no parameter gradients accumulate.</remarks>
public static class Saliency
{
    /// <summary>Computes the saliency map of one image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed image [1, C, H, W] (or [C, H, W]); not disposed.</param>
    /// <param name="classIndex">The class to explain (0-based; 0 or 1 for a single sigmoid unit).</param>
    /// <param name="target">The score before softmax or sigmoid (the default) or the probability.</param>
    /// <returns>The map [H, W] in [0, 1]; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The input's shape, the class index or the target is invalid.</exception>
    public static Tensor Compute(Model model, Tensor input, int classIndex, AttributionTarget target = AttributionTarget.Score)
    {
        ArgumentNullException.ThrowIfNull(input);
        NativeBackend.EnsureLoaded();
        using var scope = NewDisposeScope();
        var batch = LayerRunner.AsSingleImage(input, nameof(input));

        return ComputeBatch(model, batch, classIndex, target).squeeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>Computes saliency maps for a batch, each normalised on its own.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed batch [N, C, H, W]; not disposed.</param>
    /// <param name="classIndex">The class to explain (0-based; 0 or 1 for a single sigmoid unit).</param>
    /// <param name="target">The score before softmax or sigmoid (the default) or the probability.</param>
    /// <returns>The maps [N, H, W] in [0, 1]; the caller owns the tensor.</returns>
    /// <exception cref="ArgumentException">The input's shape, the class index or the target is invalid.</exception>
    public static Tensor ComputeBatch(Model model, Tensor input, int classIndex, AttributionTarget target = AttributionTarget.Score)
    {
        ArgumentNullException.ThrowIfNull(model);
        NativeBackend.EnsureLoaded();
        model.ValidateInput(input);
        LayerRunner.ValidateClassIndex(model, classIndex, nameof(classIndex));
        ClassScore.ValidateTarget(target, nameof(target));

        using var mode = model.BeginInference("Saliency");
        using var scope = NewDisposeScope();
        var gradient = InputGradient(model, input, classIndex, target);
        using var noGrad = no_grad();
        return GradCam.NormaliseByMax(gradient.abs().amax(1)).MoveToOuterDisposeScope();
    }

    /// <summary>d score / d input [N, C, H, W] (float32, on the input's device) for a batch; the caller owns it. The model must already be in inference mode.</summary>
    internal static Tensor InputGradient(Model model, Tensor input, int classIndex, AttributionTarget target)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var leaf = input.detach().to_type(ScalarType.Float32, copy: true).requires_grad_(true);
        var score = ClassScore.Compute(model, leaf, classIndex, target).sum();
        return autograd.grad([score], [leaf])[0].detach().MoveToOuterDisposeScope();
    }
}
