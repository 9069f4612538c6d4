// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// SmoothGrad (Smilkov et al. 2017): the gradient of the class score averaged over copies of the image with Gaussian
/// noise added, then, as <see cref="Saliency"/>, the absolute value, the maximum over colour channels, divided by its
/// maximum (unless <see cref="AttributionOptions.Normalize"/> is off). Averaging removes the speckle of the raw gradient, which flips sign from pixel to pixel, and keeps the
/// regions whose influence is consistent.
/// </summary>
/// <remarks>
/// <para>The signed gradients are averaged and the absolute value is taken afterwards (the paper's M̂ = mean of ∂S/∂x
/// over noisy copies, visualised by its magnitude, as tf-keras-vis); the noise standard deviation is
/// <see cref="SmoothGradOptions.NoiseLevel"/> × (max − min) of each image. A constant image therefore gets no noise and
/// its map equals the vanilla saliency. The noise is drawn from a generator seeded with <see cref="SmoothGradOptions.Seed"/>.</para>
/// <para>The score is the class score before the output activation by default (see <see cref="AttributionTarget"/>).
/// Evaluation mode (no dropout), training state restored; gradients are taken with respect to the noisy copies only.</para>
/// </remarks>
public static class SmoothGrad
{
    /// <summary>Computes the SmoothGrad maps of one image or a batch, explaining the same class for every image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed image [C, H, W] or batch [N, C, H, W]; not disposed.</param>
    /// <param name="classIndex">The class to explain (0-based; 0 or 1 for a single sigmoid unit).</param>
    /// <param name="options">Noise level, sample count, seed, target and normalisation; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops between batches of noisy copies with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The maps [N, H, W] on the input's device, each normalised on its own to [0, 1] when
    /// <see cref="AttributionOptions.Normalize"/> is set; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape or the class index is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static AttributionResult Compute(Model model, Tensor input, int classIndex, SmoothGradOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndex, nameof(classIndex)), options, cancellationToken);

    /// <summary>
    /// Computes the SmoothGrad maps of a batch with one class per image. The noise does not depend on the classes, so
    /// map i equals map i of <see cref="Compute"/> for class <paramref name="classIndices"/>[i] on the same batch with
    /// the same options and seed.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed batch [N, C, H, W] (or one image [C, H, W]); not disposed.</param>
    /// <param name="classIndices">The class to explain for each image, N of them.</param>
    /// <param name="options">Noise level, sample count, seed, target and normalisation; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops between batches of noisy copies with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The maps [N, H, W]; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape, a class index or the number of classes is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static AttributionResult ComputeBatch(Model model, Tensor input, IReadOnlyList<int> classIndices, SmoothGradOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndices, nameof(classIndices)), options, cancellationToken);

    private static AttributionResult Run(Model model, Tensor input, Func<Model, long, int[]> classes, SmoothGradOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfTakesVectors("SmoothGrad");
        NativeBackend.EnsureLoaded();
        options ??= new SmoothGradOptions();
        using var outer = NewDisposeScope();
        var batch = LayerRunner.AsBatch(input, nameof(input));
        model.ValidateInput(batch);
        var perImage = classes(model, batch.shape[0]);
        var maps = ComputeMaps(model, batch, perImage, options, cancellationToken).MoveToOuterDisposeScope();
        return AttributionResult.Create(maps, perImage, options.Target);
    }

    private static Tensor ComputeMaps(Model model, Tensor input, int[] classes, SmoothGradOptions options, CancellationToken cancellationToken)
    {
        using var mode = model.BeginInference("SmoothGrad");
        using var scope = NewDisposeScope();
        var n = input.shape[0];
        var imageShape = input.shape[1..];
        var x = input.detach().to_type(ScalarType.Float32);
        Tensor sigma;
        using (no_grad())
        {
            using var noiseLevel = Scalars.Create(options.NoiseLevel);
            var flat = x.flatten(1);
            sigma = flat.amax(1).sub(flat.amin(1)).mul(noiseLevel).view([n, 1, 1, 1, 1]);
        }

        var sum = zeros_like(x);
        using var generator = new Generator((ulong)options.Seed);
        for (var done = 0; done < options.SampleCount;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var k = Math.Min(options.BatchSize, options.SampleCount - done);
            using var chunkScope = NewDisposeScope();
            Tensor noisy;
            using (no_grad())
            {
                var noise = randn([n, k, .. imageShape], generator: generator).to(x.device);
                noisy = x.unsqueeze(1).add(noise.mul(sigma), Scalars.One).reshape([n * k, .. imageShape]);
            }

            var gradient = Saliency.InputGradient(model, noisy, ClassScore.Repeat(classes, k), options.Target);
            using (no_grad())
            {
                sum.add_(gradient.view([n, k, .. imageShape]).sum(1), Scalars.One);
            }

            done += k;
        }

        using var noGrad = no_grad();
        using var sampleCount = Scalars.Create(options.SampleCount);
        var magnitude = sum.div(sampleCount).abs().amax(1);
        return (options.Normalize ? GradCam.NormaliseByMax(magnitude) : magnitude).MoveToOuterDisposeScope();
    }
}
