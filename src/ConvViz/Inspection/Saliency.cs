// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// Vanilla saliency (Simonyan et al. 2013): |d score / d input|, the maximum over colour channels, divided by its maximum
/// (unless <see cref="AttributionOptions.Normalize"/> is off).
/// It shows which pixels the score is most sensitive to at this very input, which is often speckled; <see cref="SmoothGrad"/>
/// averages it over noisy copies and <see cref="IntegratedGradients"/> accumulates it along a path from a baseline.
/// </summary>
/// <remarks>The score is the class score before the output activation by default (see <see cref="AttributionTarget"/>).
/// Evaluation mode (no dropout), training state restored; gradients are taken with respect to a copy of the
/// input only, so no parameter gradients accumulate.</remarks>
public static class Saliency
{
    /// <summary>Computes the saliency maps of one image or a batch, explaining the same class for every image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed image [C, H, W] or batch [N, C, H, W]; not disposed.</param>
    /// <param name="classIndex">The class to explain (0-based; 0 or 1 for a single sigmoid unit).</param>
    /// <param name="options">The target and the normalisation; defaults (the score before softmax or sigmoid, normalised) if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked before the model runs; throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The maps [N, H, W] on the input's device, each normalised on its own to [0, 1] when
    /// <see cref="AttributionOptions.Normalize"/> is set; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape or the class index is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static AttributionResult Compute(Model model, Tensor input, int classIndex, SaliencyOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndex, nameof(classIndex)), options, cancellationToken);

    /// <summary>Computes the saliency maps of a batch with one class per image; each map equals the map of its image computed alone.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed batch [N, C, H, W] (or one image [C, H, W]); not disposed.</param>
    /// <param name="classIndices">The class to explain for each image, N of them.</param>
    /// <param name="options">The target and the normalisation; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked before the model runs; throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The maps [N, H, W]; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape, a class index or the number of classes is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static AttributionResult ComputeBatch(Model model, Tensor input, IReadOnlyList<int> classIndices, SaliencyOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndices, nameof(classIndices)), options, cancellationToken);

    private static AttributionResult Run(Model model, Tensor input, Func<Model, long, int[]> classes, SaliencyOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfTakesVectors("Saliency");
        options ??= new SaliencyOptions();
        NativeBackend.EnsureLoaded();
        using var scope = NewDisposeScope();
        var batch = LayerRunner.AsBatch(input, nameof(input));
        model.ValidateInput(batch);
        var perImage = classes(model, batch.shape[0]);
        cancellationToken.ThrowIfCancellationRequested();

        using var mode = model.BeginInference("Saliency");
        var gradient = InputGradient(model, batch, perImage, options.Target);
        using var noGrad = no_grad();
        var magnitude = gradient.abs().amax(1);
        var maps = options.Normalize ? GradCam.NormaliseByMax(magnitude) : magnitude;
        return AttributionResult.Create(maps.MoveToOuterDisposeScope(), perImage, options.Target);
    }

    /// <summary>d score / d input [N, C, H, W] (float32, on the input's device) for a batch, row i for class <paramref name="classes"/>[i]; the caller owns it. The model must already be in inference mode.</summary>
    internal static Tensor InputGradient(Model model, Tensor input, int[] classes, AttributionTarget target)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var leaf = input.detach().to_type(ScalarType.Float32, copy: true).requires_grad_(true);
        var score = ClassScore.Compute(model, leaf, classes, target).sum();
        return autograd.grad([score], [leaf])[0].detach().MoveToOuterDisposeScope();
    }
}
