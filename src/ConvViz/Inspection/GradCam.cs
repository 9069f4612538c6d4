// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017): which regions of the input made a convolution layer vote for a class.
/// In one evaluation of the model's graph, the layer's activation A is replaced by a leaf that requires gradients and
/// the rest of the graph (skip connections included) runs from it; the channel weights are the spatial means of
/// d score / d A. The map is ReLU(Σ weight·A), upsampled bilinearly to the input size and (by default) divided by its maximum.
/// </summary>
/// <remarks>
/// <para>By default the score is the class score before the output activation (<see cref="AttributionTarget.Score"/>),
/// as pytorch-grad-cam and tf-keras-vis do: a confident softmax has a near-zero gradient, so a map of the probability
/// (<see cref="AttributionTarget.Probability"/>, Deep Learning with R's choice) fades to zero or to normalised
/// numerical noise on a well-trained network. An all-zero map is returned as zeros, never NaN.</para>
/// <para>Runs in evaluation mode (no dropout); the model's training state is restored and no parameter gradients are
/// accumulated (gradients are taken with <c>torch.autograd.grad</c> with respect to the activation only).</para>
/// </remarks>
public static class GradCam
{
    /// <summary>Computes the Grad-CAM heatmaps of one image or a batch, explaining the same class for every image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed image [C, H, W] or batch [N, C, H, W]; not disposed.</param>
    /// <param name="classIndex">The class to explain (0-based; 0 or 1 for a single sigmoid unit).</param>
    /// <param name="options">The layer, the target and the normalisation; defaults (<see cref="DefaultLayer"/>, the score
    /// before the output activation, normalised) if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked before the model runs; throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The heatmaps [N, H, W] at the input's resolution, on the input's device, each normalised on its own when
    /// <see cref="AttributionOptions.Normalize"/> is set; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape, the class index or the layer is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static AttributionResult Compute(Model model, Tensor input, int classIndex, GradCamOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndex, nameof(classIndex)), options, plusPlus: false, cancellationToken);

    /// <summary>
    /// Computes the Grad-CAM heatmaps of a batch with one class per image (as tf-keras-vis'
    /// <c>CategoricalScore([1, 294, 413])</c>); each map equals the map of its image computed alone.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A preprocessed batch [N, C, H, W] (or one image [C, H, W]); not disposed.</param>
    /// <param name="classIndices">The class to explain for each image, N of them.</param>
    /// <param name="options">The layer, the target and the normalisation; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked before the model runs; throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The heatmaps [N, H, W] as <see cref="Compute"/> returns them; the caller owns (and disposes) the result.</returns>
    /// <exception cref="ArgumentException">The input's shape, the layer, a class index or the number of classes is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static AttributionResult ComputeBatch(Model model, Tensor input, IReadOnlyList<int> classIndices, GradCamOptions? options = null, CancellationToken cancellationToken = default) =>
        Run(model, input, (m, n) => ClassScore.PerImage(m, n, classIndices, nameof(classIndices)), options, plusPlus: false, cancellationToken);

    /// <summary>
    /// Gets the layer whose feature maps Grad-CAM and Grad-CAM++ explain when <see cref="GradCamOptions.LayerName"/> is
    /// not set (and the HTML report's Grad-CAM layer when <c>HtmlReportOptions.GradCamLayer</c> is not set). Start from
    /// the last layer with a spatial output that every path to the classifier goes through (in a chain, the layer
    /// before <c>Flatten</c> or the global pooling; in a residual network, the last block's output, not a convolution
    /// inside the block that the skip connection bypasses), and go back along single-input layers with spatial outputs,
    /// stopping after a merge: the last of them with filters (<see cref="LayerOptions.HasFilters"/>, a convolution), as
    /// tf-keras-vis does; when none has filters, the last one that is not <see cref="LayerOptions.IsTrainingOnly"/> (for
    /// a ResNet, the last block's output activation, as pytorch-grad-cam's usual choice). For the blog's model it is
    /// <c>conv2d_4</c>, its last Conv2D layer.
    /// </summary>
    /// <param name="model">The model; its output must be class scores (flat).</param>
    /// <returns>The layer.</returns>
    /// <exception cref="ArgumentException">The model's output is not flat, or no layer with spatial output leads to it.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static LayerInfo DefaultLayer(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfTakesVectors("Grad-CAM");
        if (model.OutputShape.IsSpatial)
        {
            throw new ArgumentException(
                $"The model's output is {model.OutputShape}, not class scores: Grad-CAM needs a model that ends in a Dense layer.", nameof(model));
        }

        return FindDefaultLayer(model)
            ?? throw new ArgumentException("No layer of the model outputs feature maps, so there is no layer for Grad-CAM.", nameof(model));
    }

    /// <summary>The rule of <see cref="DefaultLayer"/> without the checks: <see langword="null"/> when no layer with spatial output leads to the output.</summary>
    internal static LayerInfo? FindDefaultLayer(Model model)
    {
        // The layers every path from the input to the output goes through: in topological order, no connection jumps
        // over them. In a chain that is every layer; in a residual network, the block outputs (not the convolutions
        // inside a block, which a skip connection bypasses).
        var layers = model.Layers;
        var bypassed = new bool[layers.Count];
        foreach (var layer in layers)
        {
            var from = layer.Inputs.Count == 0 ? -1 : layer.Inputs.Min(i => i.Index);
            for (var k = from + 1; k < layer.Index; k++)
            {
                bypassed[k] = true;
            }
        }

        // The last such layer with a spatial output, then back along the single-input layers before it while their
        // outputs stay spatial: the run of feature-map layers that ends at Flatten or the global pooling (in a
        // residual network, the last block's tail, from its merge on).
        // A 1 × 1 map (a pooled or squeezed output kept spatial, as ONNX models do) has no "where" left: skip it.
        static bool HasMap(LayerInfo layer) => layer.OutputShape.IsSpatial && (long)layer.OutputShape.Height * layer.OutputShape.Width > 1;
        var end = layers.Count - 1;
        while (end >= 0 && (bypassed[end] || !HasMap(layers[end])))
        {
            end--;
        }

        if (end < 0)
        {
            return null;
        }

        var run = new List<LayerInfo> { layers[end] };
        var current = layers[end];
        while (current.Inputs is [var previous] && HasMap(previous) && !previous.Options.IsModelInput
            && current.Options.MinInputs == 1)
        {
            run.Add(previous);
            current = previous;
        }

        return run.FirstOrDefault(l => l.Options.HasFilters) ?? run.FirstOrDefault(l => !l.Options.IsTrainingOnly && !l.Options.IsModelInput);
    }

    /// <summary>Grad-CAM or Grad-CAM++ of an image or a batch, with the classes resolved against the batch size; the caller owns the result.</summary>
    internal static AttributionResult Run(
        Model model, Tensor input, Func<Model, long, int[]> classes, GradCamOptions? options, bool plusPlus, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfTakesVectors(plusPlus ? "Grad-CAM++" : "Grad-CAM");
        options ??= new GradCamOptions();
        NativeBackend.EnsureLoaded();
        using var scope = NewDisposeScope();
        var batch = LayerRunner.AsBatch(input, nameof(input));
        model.ValidateInput(batch);
        var perImage = classes(model, batch.shape[0]);
        cancellationToken.ThrowIfCancellationRequested();
        var maps = ComputeMaps(model, batch, perImage, options, plusPlus).MoveToOuterDisposeScope();
        return AttributionResult.Create(maps, perImage, options.Target);
    }

    /// <summary>
    /// The Grad-CAM and Grad-CAM++ maps [N, H, W] of a batch; the caller owns them. Grad-CAM weights each channel by
    /// the mean gradient; Grad-CAM++ by Σ α·ReLU(gradient) with α = g² / (2g² + ΣA·g³) (Chattopadhay et al. 2018,
    /// the closed form for the exponential of the score, whose positive factor exp(score) is left out).
    /// </summary>
    private static Tensor ComputeMaps(Model model, Tensor input, int[] classes, GradCamOptions options, bool plusPlus)
    {
        var layer = LayerRunner.ResolveSpatial(model, options.LayerName, nameof(options.LayerName));

        using var mode = model.BeginInference(plusPlus ? "GradCamPlusPlus" : "GradCam");
        using var scope = NewDisposeScope();

        // One evaluation of the whole graph: the layer's value A is replaced by a leaf that requires gradients, and
        // everything after it (skip paths included) runs from that leaf; the layers before it run without autograd.
        Tensor? activation = null;
        Tensor gradient;
        using (enable_grad())
        {
            var run = new GraphRun
            {
                ReplaceAt = layer.Index,
                Replace = value =>
                {
                    activation = value.detach().requires_grad_(true);
                    return activation.alias();
                },
                GradientsFromReplacement = true,
            };
            var score = ClassScore.Compute(model, input, classes, options.Target, run).sum();
            gradient = autograd.grad([score], [activation!], allow_unused: true)[0];
        }

        using var noGrad = no_grad();
        if (gradient is null || gradient.IsInvalid)
        {
            return zeros(input.shape[0], input.shape[2], input.shape[3]).MoveToOuterDisposeScope();
        }

        var values = activation!.detach();
        var weights = plusPlus ? PlusPlusWeights(gradient, values) : gradient.mean([2, 3], keepdim: true);
        var cam = nn.functional.relu(weights.mul(values).sum(1, keepdim: true));
        cam = nn.functional.interpolate(cam, size: [input.shape[2], input.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1);
        return (options.Normalize ? NormaliseByMax(cam) : cam.clamp_min(Scalars.Zero)).MoveToOuterDisposeScope();
    }

    /// <summary>Grad-CAM++ channel weights [N, K, 1, 1] from the gradient and activation [N, K, h, w].</summary>
    private static Tensor PlusPlusWeights(Tensor gradient, Tensor activation)
    {
        var g = gradient.to_type(ScalarType.Float64);
        var g2 = g.pow(Scalars.Two);
        var g3 = g2.mul(g);
        var sumA = activation.to_type(ScalarType.Float64).sum([2, 3], keepdim: true);
        var denominator = g2.mul(Scalars.Two).add(sumA.mul(g3), Scalars.One);
        var alpha = where(denominator.ne(Scalars.Zero), g2.div(where(denominator.ne(Scalars.Zero), denominator, ones_like(denominator))), zeros_like(denominator));
        return alpha.mul(nn.functional.relu(g)).sum([2, 3], keepdim: true).to_type(ScalarType.Float32);
    }

    /// <summary>Divides each map [N, H, W] by its maximum; all-zero maps stay zero.</summary>
    internal static Tensor NormaliseByMax(Tensor maps)
    {
        var max = maps.amax([1, 2], keepdim: true);
        var safe = where(max.gt(Scalars.Zero), max, ones_like(max));
        return maps.div(safe).clamp(Scalars.Zero, Scalars.One);
    }
}
