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
/// a map computed with <see cref="AttributionOptions.Normalize"/> off is the paper's map divided by exp(score).
/// Where the denominator is zero, α is zero.</para>
/// <para>Target, evaluation mode and gradients as <see cref="GradCam"/>.</para>
/// </remarks>
public static class GradCamPlusPlus
{
    /// <summary>Computes the Grad-CAM++ heatmaps of one image or a batch, explaining the same class for every image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed image [C, H, W] or batch [N, C, H, W]; not disposed.</param>
    /// <param name="classIndex">The class to explain (0-based; 0 or 1 for a single sigmoid unit).</param>
    /// <param name="options">The layer, the target and the normalisation; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked before the model runs; throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The heatmaps [N, H, W] at the input's resolution, on the input's device, each normalised on its own when
    /// <see cref="AttributionOptions.Normalize"/> is set; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape, the class index or the layer is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static AttributionResult Compute(Model model, Tensor input, int classIndex, GradCamOptions? options = null, CancellationToken cancellationToken = default) =>
        GradCam.Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndex, nameof(classIndex)), options, plusPlus: true, cancellationToken);

    /// <summary>Computes the Grad-CAM++ heatmaps of a batch with one class per image; each map equals the map of its image computed alone.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed batch [N, C, H, W] (or one image [C, H, W]); not disposed.</param>
    /// <param name="classIndices">The class to explain for each image, N of them.</param>
    /// <param name="options">The layer, the target and the normalisation; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked before the model runs; throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The heatmaps [N, H, W]; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape, the layer, a class index or the number of classes is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static AttributionResult ComputeBatch(Model model, Tensor input, IReadOnlyList<int> classIndices, GradCamOptions? options = null, CancellationToken cancellationToken = default) =>
        GradCam.Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndices, nameof(classIndices)), options, plusPlus: true, cancellationToken);
}
