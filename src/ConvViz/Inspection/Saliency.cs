// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// Vanilla saliency (Simonyan et al. 2013): |d score / d input|, the maximum over colour channels, divided by its maximum.
/// </summary>
/// <remarks>Evaluation mode (no dropout), training state restored; gradients are taken with respect to a copy of the
/// input only, so no parameter gradients accumulate.</remarks>
public static class Saliency
{
    /// <summary>Computes the saliency map of one image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed image [1, C, H, W] (or [C, H, W]); not disposed.</param>
    /// <param name="classIndex">The output unit to explain (0-based).</param>
    /// <returns>The map [H, W] in [0, 1]; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The input's shape or the class index is invalid.</exception>
    public static Tensor Compute(Model model, Tensor input, int classIndex)
    {
        ArgumentNullException.ThrowIfNull(input);
        NativeBackend.EnsureLoaded();
        using var scope = NewDisposeScope();
        var batch = LayerRunner.AsSingleImage(input, nameof(input));

        return ComputeBatch(model, batch, classIndex).squeeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>Computes saliency maps for a batch, each normalised on its own.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed batch [N, C, H, W]; not disposed.</param>
    /// <param name="classIndex">The output unit to explain (0-based).</param>
    /// <returns>The maps [N, H, W] in [0, 1]; the caller owns the tensor.</returns>
    /// <exception cref="ArgumentException">The input's shape or the class index is invalid.</exception>
    public static Tensor ComputeBatch(Model model, Tensor input, int classIndex)
    {
        ArgumentNullException.ThrowIfNull(model);
        NativeBackend.EnsureLoaded();
        model.ValidateInput(input);
        LayerRunner.ValidateClassIndex(model, classIndex, nameof(classIndex));

        using var mode = model.BeginInference("Saliency");
        using var scope = NewDisposeScope();
        Tensor gradient;
        using (enable_grad())
        {
            var leaf = input.detach().clone().requires_grad_(true);
            var output = LayerRunner.Run(model, leaf, 0, model.Layers.Count - 1);
            var score = output.select(1, classIndex).sum();
            gradient = autograd.grad([score], [leaf])[0];
        }

        using var noGrad = no_grad();
        return GradCam.NormaliseByMax(gradient.abs().amax(1)).MoveToOuterDisposeScope();
    }
}
