// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017): which regions of the input made a convolution layer vote for a class.
/// The forward pass is split at the layer: its activation A becomes a leaf that requires gradients, the rest of the
/// network runs from it, and the channel weights are the spatial means of d score / d A. The map is
/// ReLU(Σ weight·A), upsampled bilinearly to the input size and divided by its maximum.
/// </summary>
/// <remarks>
/// Runs in evaluation mode (no dropout); the model's training state is restored and no parameter gradients are
/// accumulated (gradients are taken with <c>torch.autograd.grad</c> with respect to the activation only).
/// The score is the model's output for the class, as in Deep Learning with R; with a saturated softmax the map can be
/// all zero, which is returned as zeros, never NaN.
/// </remarks>
public static class GradCam
{
    /// <summary>Computes the Grad-CAM heatmap of one image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed image [1, C, H, W] (or [C, H, W]); not disposed.</param>
    /// <param name="classIndex">The output unit to explain (0-based).</param>
    /// <param name="layerName">A layer that outputs feature maps; by default the last Conv2D layer.</param>
    /// <returns>The heatmap [H, W] in [0, 1] at the input's resolution; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The input's shape, the class index or the layer is invalid.</exception>
    public static Tensor Compute(Model model, Tensor input, int classIndex, string? layerName = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        NativeBackend.EnsureLoaded();
        using var scope = NewDisposeScope();
        var batch = LayerRunner.AsSingleImage(input, nameof(input));

        return ComputeBatch(model, batch, classIndex, layerName).squeeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>Computes Grad-CAM heatmaps for a batch, each normalised on its own.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed batch [N, C, H, W]; not disposed.</param>
    /// <param name="classIndex">The output unit to explain (0-based).</param>
    /// <param name="layerName">A layer that outputs feature maps; by default the last Conv2D layer.</param>
    /// <returns>The heatmaps [N, H, W] in [0, 1]; the caller owns the tensor.</returns>
    /// <exception cref="ArgumentException">The input's shape, the class index or the layer is invalid.</exception>
    public static Tensor ComputeBatch(Model model, Tensor input, int classIndex, string? layerName = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        NativeBackend.EnsureLoaded();
        model.ValidateInput(input);
        LayerRunner.ValidateClassIndex(model, classIndex, nameof(classIndex));
        var layer = LayerRunner.ResolveSpatial(model, layerName, nameof(layerName));

        using var mode = model.BeginInference("GradCam");
        using var scope = NewDisposeScope();
        Tensor activation;
        using (no_grad())
        {
            activation = LayerRunner.Run(model, input, 0, layer.Index);
        }

        Tensor gradient;
        using (enable_grad())
        {
            var leaf = activation.detach().requires_grad_(true);
            var output = LayerRunner.Run(model, leaf, layer.Index + 1, model.Layers.Count - 1);
            var score = output.select(1, classIndex).sum();
            gradient = autograd.grad([score], [leaf], allow_unused: true)[0];
        }

        using var noGrad = no_grad();
        if (gradient is null || gradient.IsInvalid)
        {
            return zeros(input.shape[0], input.shape[2], input.shape[3]).MoveToOuterDisposeScope();
        }

        var weights = gradient.mean([2, 3], keepdim: true);
        var cam = nn.functional.relu(weights.mul(activation).sum(1, keepdim: true));
        cam = nn.functional.interpolate(cam, size: [input.shape[2], input.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return NormaliseByMax(cam.squeeze(1)).MoveToOuterDisposeScope();
    }

    /// <summary>Divides each map [N, H, W] by its maximum; all-zero maps stay zero.</summary>
    internal static Tensor NormaliseByMax(Tensor maps)
    {
        var max = maps.amax([1, 2], keepdim: true);
        var safe = where(max.gt(0), max, ones_like(max));
        return maps.div(safe).clamp(0, 1);
    }
}
