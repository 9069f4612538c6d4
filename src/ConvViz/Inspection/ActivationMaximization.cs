// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using ConvViz.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// Activation maximisation: gradient ascent on the input, from seeded noise, to find the pattern that excites a
/// filter most (the mean of its feature map). All requested filters are optimised together, one image each.
/// On the model's output layer the "filters" are classes and the objective is the class score (Simonyan et al.'s class
/// model visualisation): by default the score before softmax or sigmoid (<see cref="ActivationMaximizationOptions.Target"/>),
/// because maximising a softmax probability can be done by pushing the other classes down rather than this one up.
/// </summary>
/// <remarks>Evaluation mode (no dropout), training state restored; gradients are taken with respect to the images
/// only. Each step adds <see cref="ActivationMaximizationOptions.StepSize"/> × range × g / rms(g) and clamps to the
/// input range, so steps are bounded. Optional regularisers (<see cref="ActivationMaximizationOptions.Jitter"/>,
/// <see cref="ActivationMaximizationOptions.BlurSigma"/>, <see cref="ActivationMaximizationOptions.Decay"/>) turn the
/// high-frequency noise plain ascent finds on a trained network into recognisable structure. The number of steps (and optionally the time) is bounded. The starting noise is
/// seeded; the same call with the same seed returns bit-identical images for a given number of libtorch threads
/// (tested with one and two); another thread count may round reductions differently, and gradient ascent amplifies that.</remarks>
public static class ActivationMaximization
{
    /// <summary>Finds the input pattern that maximises one filter of a layer.</summary>
    /// <param name="model">The model.</param>
    /// <param name="layerName">A layer that outputs feature maps, or the model's output layer (then <paramref name="filter"/> is a class).</param>
    /// <param name="filter">The 0-based filter (channel) index, or class index on the output layer (0 or 1 for a single sigmoid unit).</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the ascent between steps; the result so far is returned.</param>
    /// <returns>The result with one image; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The layer or filter is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static ActivationMaximizationResult Run(Model model, string layerName, int filter, ActivationMaximizationOptions? options = null, CancellationToken cancellationToken = default) =>
        RunLayer(model, layerName, [filter], options, cancellationToken);

    /// <summary>Finds the input patterns that maximise several filters of a layer (all filters by default).</summary>
    /// <param name="model">The model.</param>
    /// <param name="layerName">A layer that outputs feature maps, or the model's output layer (then <paramref name="filters"/> are classes).</param>
    /// <param name="filters">The 0-based filter (or class) indices; all of the layer's filters (or classes) if <see langword="null"/>.</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the ascent between steps; the result so far is returned.</param>
    /// <returns>The result with one image per filter; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The layer or a filter is invalid.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static ActivationMaximizationResult RunLayer(Model model, string layerName, IReadOnlyList<int>? filters = null, ActivationMaximizationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfTakesVectors("Activation maximization");
        NativeBackend.EnsureLoaded();
        options ??= new ActivationMaximizationOptions();
        if (options.InputMax <= options.InputMin)
        {
            throw new ArgumentException($"InputMax ({options.InputMax}) must exceed InputMin ({options.InputMin}).", nameof(options));
        }

        var output = model.Layers[^1];
        var classMode = !output.OutputShape.IsSpatial && string.Equals(layerName, output.Name, StringComparison.Ordinal);
        var layer = classMode ? output : LayerRunner.ResolveSpatial(model, layerName, nameof(layerName));
        var channels = classMode ? Math.Max(2, layer.OutputShape.Channels) : layer.OutputShape.Channels;
        int[] selected = filters is null ? [.. Enumerable.Range(0, channels)] : [.. filters];
        if (selected.Length == 0)
        {
            throw new ArgumentException("Request at least one filter.", nameof(filters));
        }

        foreach (var f in selected)
        {
            if (classMode)
            {
                LayerRunner.ValidateClassIndex(model, f, nameof(filters));
            }
            else if (f < 0 || f >= channels)
            {
                throw new ArgumentOutOfRangeException(nameof(filters), f, $"Layer '{layer.Name}' has {channels} filters: use 0..{channels - 1}.");
            }
        }

        using var mode = model.BeginInference("ActivationMaximization");
        using var scope = NewDisposeScope();
        var n = selected.Length;
        var shape = model.InputShape.ToBatchShape(n);
        var range = options.InputMax - options.InputMin;
        var mid = options.InputMin + (range / 2);
        using var generator = new Generator((ulong)options.Seed);
        using var two = Scalars.Create(2);
        using var amplitude = Scalars.Create(options.NoiseAmplitude * range);
        using var centre = Scalars.Create(mid);
        using var tiny = Scalars.Create(1e-8);
        using var stepScale = Scalars.Create(options.StepSize * range);
        using var lowest = Scalars.Create(options.InputMin);
        using var highest = Scalars.Create(options.InputMax);
        var x = rand(shape, generator: generator).mul(two).sub(Scalars.One).mul(amplitude).add(centre, Scalars.One);
        var index = model.ToModelDevice(tensor(selected.Select(f => (long)f).ToArray(), ScalarType.Int64).view(n, 1, 1, 1));
        var binary = classMode && layer.OutputShape.Channels == 1;
        var jitter = new Random(options.Seed);
        using var blur = options.BlurSigma > 0 ? GaussianKernel(options.BlurSigma, model.InputShape.Channels, x.device) : null;
        using var keep = Scalars.Create(1 - options.Decay);
        using var decayToward = Scalars.Create(mid * options.Decay);
        var negative = selected.Select(f => binary && f == 0).ToArray();

        double[]? initial = null;
        double[] current = [];
        var stopwatch = Stopwatch.StartNew();
        var steps = 0;
        for (; steps <= options.Steps; steps++)
        {
            using var stepScope = NewDisposeScope();
            Tensor gradient;
            using (enable_grad())
            {
                var leaf = x.detach().requires_grad_(true);
                var shifted = leaf;
                if (options.Jitter > 0)
                {
                    // The gradient flows back through the roll, so it arrives un-shifted on the leaf.
                    shifted = leaf.roll([jitter.Next(-options.Jitter, options.Jitter + 1), jitter.Next(-options.Jitter, options.Jitter + 1)], [2, 3]);
                }

                var activation = LayerRunner.Run(model, shifted, layer.Index, beforeActivation: classMode && options.Target == AttributionTarget.Score);
                var perFilter = classMode
                    ? ClassScore.Select(activation, index.view(-1), negative, options.Target)
                    : activation.gather(1, index.expand(n, 1, activation.shape[2], activation.shape[3])).mean([1, 2, 3]);
                current = perFilter.detach().to(CPU).to_type(ScalarType.Float64).data<double>().ToArray();
                initial ??= current;
                if (steps == options.Steps || cancellationToken.IsCancellationRequested ||
                    (options.TimeLimit is { } limit && stopwatch.Elapsed > limit))
                {
                    break;
                }

                gradient = autograd.grad([perFilter.sum()], [leaf])[0];
            }

            using (no_grad())
            {
                var rms = gradient.pow(Scalars.Two).mean([1, 2, 3], keepdim: true).sqrt().add(tiny, Scalars.One);
                var next = x.add(gradient.div(rms).mul(stepScale), Scalars.One);
                if (options.Decay > 0)
                {
                    next = next.mul(keep).add(decayToward, Scalars.One);
                }

                if (blur is not null && (steps + 1) % options.BlurEvery == 0)
                {
                    next = Blur(next, blur);
                }

                next = next.clamp(lowest, highest);
                x.Dispose();
                x = next.MoveToOuterDisposeScope();
            }
        }

        return new ActivationMaximizationResult(layer.Name, selected, x.detach().MoveToOuterDisposeScope(), initial!, current, steps);
    }

    /// <summary>A normalised 1-D Gaussian of radius ⌈3σ⌉ as a depthwise kernel [C, 1, 1, K]; the caller owns it.</summary>
    private static Tensor GaussianKernel(double sigma, int channels, Device device)
    {
        var radius = (int)Math.Ceiling(3 * sigma);
        var weights = new float[(2 * radius) + 1];
        for (var i = -radius; i <= radius; i++)
        {
            weights[i + radius] = (float)Math.Exp(-(i * i) / (2 * sigma * sigma));
        }

        var sum = weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] /= sum;
        }

        using var row = tensor(weights, [1, 1, 1, weights.Length]);
        return row.expand(channels, 1, 1, weights.Length).contiguous().to(device);
    }

    /// <summary>Separable Gaussian blur with reflected borders (the image keeps its size); the caller owns the result.</summary>
    private static Tensor Blur(Tensor images, Tensor kernel)
    {
        var channels = images.shape[1];
        var radius = kernel.shape[3] / 2;
        // Reflection needs the image to be larger than the radius; tiny inputs repeat their edge instead.
        var mode = radius < Math.Min(images.shape[2], images.shape[3]) ? PaddingModes.Reflect : PaddingModes.Replicate;
        using var padded = nn.functional.pad(images.contiguous(), [radius, radius, radius, radius], mode);
        using var horizontal = nn.functional.conv2d(padded, kernel, groups: channels);
        using var vertical = kernel.transpose(2, 3);
        return nn.functional.conv2d(horizontal, vertical, groups: channels);
    }
}
