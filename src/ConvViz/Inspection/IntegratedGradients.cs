// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// Integrated Gradients (Sundararajan et al. 2017): each input value's share of the change in the class score from a
/// baseline (black by default) to the image, (x − x′) × ∫₀¹ ∂S(x′ + α(x − x′))/∂x dα. Unlike the raw gradient it does
/// not vanish where the network saturates, and it is complete: the attributions sum to S(x) − S(x′).
/// </summary>
/// <remarks>
/// <para>The integral is computed with the trapezoid rule on <see cref="IntegratedGradientsOptions.Steps"/> equal
/// intervals (Steps + 1 gradient evaluations, end points weighted ½). The trapezoid rule is exact for a score that is
/// linear along the path and second-order accurate for a smooth one; a ReLU network is piecewise linear, so the error
/// comes from the kinks between path points and shrinks as 1/Steps. The result reports the completeness error so that
/// it can be checked.</para>
/// <para>The score is the class score before the output activation by default (see <see cref="AttributionTarget"/>).
/// Evaluation mode (no dropout), training state restored; gradients are taken with respect to the path points only.</para>
/// </remarks>
public static class IntegratedGradients
{
    /// <summary>Computes the Integrated Gradients attributions of one image or a batch, explaining the same class for every image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed image [C, H, W] or batch [N, C, H, W]; not disposed.</param>
    /// <param name="classIndex">The class to explain (0-based; 0 or 1 for a single sigmoid unit).</param>
    /// <param name="options">Baseline, steps, target and normalisation; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops between batches of path points with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The maps [N, H, W] (|Σ over colour channels of the attributions|, each normalised on its own to [0, 1] when
    /// <see cref="AttributionOptions.Normalize"/> is set), the signed attributions and the scores of every image, on the
    /// CPU; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape, the class index or the baseline's shape is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static IntegratedGradientsResult Compute(Model model, Tensor input, int classIndex, IntegratedGradientsOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndex, nameof(classIndex)), options, cancellationToken);

    /// <summary>
    /// Computes the Integrated Gradients attributions of a batch with one class per image; each image's attributions,
    /// scores and map equal those of the image computed alone for its class (with its own baseline).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed batch [N, C, H, W] (or one image [C, H, W]); not disposed.</param>
    /// <param name="classIndices">The class to explain for each image, N of them.</param>
    /// <param name="options">Baseline, steps, target and normalisation; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops between batches of path points with <see cref="OperationCanceledException"/>.</param>
    /// <returns>As <see cref="Compute"/> returns it; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape, a class index, the number of classes or the baseline's shape is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static IntegratedGradientsResult ComputeBatch(Model model, Tensor input, IReadOnlyList<int> classIndices, IntegratedGradientsOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndices, nameof(classIndices)), options, cancellationToken);

    private static IntegratedGradientsResult Run(
        Model model, Tensor input, Func<Model, long, int[]> classes, IntegratedGradientsOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfTakesVectors("Integrated gradients");
        NativeBackend.EnsureLoaded();
        options ??= new IntegratedGradientsOptions();
        using var scope = NewDisposeScope();
        var batch = LayerRunner.AsBatch(input, nameof(input));
        model.ValidateInput(batch);
        var perImage = classes(model, batch.shape[0]);

        using var mode = model.BeginInference("IntegratedGradients");
        var n = batch.shape[0];
        var imageShape = batch.shape[1..];
        var x = batch.detach().to_type(ScalarType.Float32);
        var baseline = ResolveBaseline(options.Baseline, x);
        var steps = options.Steps;

        Tensor diff;
        double[] inputScores;
        double[] baselineScores;
        using (no_grad())
        {
            diff = x.sub(baseline);
            inputScores = ToArray(ClassScore.Compute(model, x, perImage, options.Target));
            baselineScores = ToArray(ClassScore.Compute(model, baseline, perImage, options.Target));
        }

        var sum = zeros_like(x);
        for (var first = 0; first <= steps;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var k = Math.Min(options.BatchSize, steps + 1 - first);
            using var chunkScope = NewDisposeScope();
            var alphas = new float[k];
            var weights = new float[k];
            for (var j = 0; j < k; j++)
            {
                var step = first + j;
                alphas[j] = (float)((double)step / steps);
                weights[j] = (float)((step == 0 || step == steps ? 0.5 : 1.0) / steps);
            }

            Tensor points;
            using (no_grad())
            {
                var alpha = tensor(alphas).to(x.device).view([1, k, 1, 1, 1]);
                points = baseline.unsqueeze(1).add(diff.unsqueeze(1).mul(alpha), Scalars.One).reshape([n * k, .. imageShape]);
            }

            var gradient = Saliency.InputGradient(model, points, ClassScore.Repeat(perImage, k), options.Target);
            using (no_grad())
            {
                var weight = tensor(weights).to(gradient.device).view([1, k, 1, 1, 1]);
                sum.add_(gradient.view([n, k, .. imageShape]).mul(weight).sum(1), Scalars.One);
            }

            first += k;
        }

        using var noGrad = no_grad();
        var attributions = diff.mul(sum);
        var sums = ToArray(attributions.to_type(ScalarType.Float64).sum([1, 2, 3]));
        var magnitude = attributions.sum(1).abs();
        var maps = options.Normalize ? GradCam.NormaliseByMax(magnitude) : magnitude;
        return new IntegratedGradientsResult(
            attributions.cpu().MoveToOuterDisposeScope(),
            maps.cpu().MoveToOuterDisposeScope(),
            perImage,
            options.Target,
            inputScores,
            baselineScores,
            sums);
    }

    private static Tensor ResolveBaseline(Tensor? baseline, Tensor x)
    {
        if (baseline is null)
        {
            return zeros_like(x);
        }

        var expected = $"[{string.Join(", ", x.shape[1..])}], [1, {string.Join(", ", x.shape[1..])}] or [{string.Join(", ", x.shape)}]";
        var b = baseline.dim() == 3 ? baseline.unsqueeze(0) : baseline.alias();
        if (b.dim() != 4 || !b.shape[1..].SequenceEqual(x.shape[1..]) || (b.shape[0] != 1 && b.shape[0] != x.shape[0]))
        {
            throw new ArgumentException(
                $"IntegratedGradientsOptions.Baseline has shape [{string.Join(", ", baseline.shape)}] but the input is [{string.Join(", ", x.shape)}]: pass a baseline of shape {expected}, or null for zeros.",
                "options");
        }

        if (!b.is_floating_point())
        {
            throw new ArgumentException($"IntegratedGradientsOptions.Baseline has type {b.dtype}; pass a floating-point tensor in the model's input space.", "options");
        }

        return b.detach().to(ScalarType.Float32, x.device).expand(x.shape).contiguous();
    }

    private static double[] ToArray(Tensor t)
    {
        using var d = t.detach().to_type(ScalarType.Float64).cpu();
        return d.data<double>().ToArray();
    }
}
