// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// Grad-CAM++ (Chattopadhay et al. 2018): Grad-CAM with pixel-wise weights, so that several instances of the evidence,
/// or a small one, are not outweighed by a large region of weak gradient. Channel k's weight is
/// Σᵢⱼ αᵏᵢⱼ·ReLU(gᵏᵢⱼ) with αᵏᵢⱼ = (gᵏᵢⱼ)² / (2(gᵏᵢⱼ)² + Σₐᵦ Aᵏₐᵦ·(gᵏᵢⱼ)³), where g = d score / d A; the map is
/// ReLU(Σₖ weightₖ·Aᵏ), upsampled bilinearly to the input size and (by default) divided by its maximum.
/// </summary>
/// <remarks>
/// <para>The α is the paper's closed form: it differentiates exp(score) and takes the score's second and third
/// derivatives to be zero (exact for a network that is piecewise linear after the layer, such as ReLU layers followed
/// by the pre-softmax score), which turns them into the second and third powers of the gradient. The common positive
/// factor exp(score) cancels in α and only scales the map, so it is left out (it would overflow for large scores):
/// a map computed with <see cref="GradCamOptions.Normalize"/> off is the paper's map divided by exp(score).
/// Where the denominator is zero, α is zero.</para>
/// <para>Target, evaluation mode and gradients as <see cref="GradCam"/>.</para>
/// </remarks>
public static class GradCamPlusPlus
{
    /// <summary>Computes the Grad-CAM++ heatmap of one image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed image [1, C, H, W] (or [C, H, W]); not disposed.</param>
    /// <param name="classIndex">The class to explain (0-based; 0 or 1 for a single sigmoid unit).</param>
    /// <param name="options">The layer, the target and the normalisation; defaults if <see langword="null"/>.</param>
    /// <returns>The heatmap [H, W] at the input's resolution (in [0, 1] when normalised); the caller owns it.</returns>
    /// <exception cref="ArgumentException">The input's shape, the class index or the layer is invalid.</exception>
    public static Tensor Compute(Model model, Tensor input, int classIndex, GradCamOptions? options = null) =>
        GradCam.ComputeOne(model, input, classIndex, options ?? new GradCamOptions(), plusPlus: true);

    /// <summary>Computes Grad-CAM++ heatmaps for a batch, each normalised on its own when <see cref="GradCamOptions.Normalize"/> is set.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed batch [N, C, H, W]; not disposed.</param>
    /// <param name="classIndex">The class to explain (0-based; 0 or 1 for a single sigmoid unit).</param>
    /// <param name="options">The layer, the target and the normalisation; defaults if <see langword="null"/>.</param>
    /// <returns>The heatmaps [N, H, W]; the caller owns the tensor.</returns>
    /// <exception cref="ArgumentException">The input's shape, the class index or the layer is invalid.</exception>
    public static Tensor ComputeBatch(Model model, Tensor input, int classIndex, GradCamOptions? options = null) =>
        GradCam.ComputeMaps(model, input, classIndex, options ?? new GradCamOptions(), plusPlus: true);
}
