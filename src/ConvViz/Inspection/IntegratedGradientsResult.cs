// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>The attributions computed by <see cref="IntegratedGradients"/> for a batch. Owns <see cref="Attributions"/> and <see cref="Maps"/>.</summary>
public sealed class IntegratedGradientsResult : IDisposable
{
    private readonly Tensor _attributions;
    private readonly Tensor _maps;
    private bool _disposed;

    internal IntegratedGradientsResult(Tensor attributions, Tensor maps, double[] inputScores, double[] baselineScores, double[] sums)
    {
        _attributions = attributions;
        _maps = maps;
        InputScores = inputScores;
        BaselineScores = baselineScores;
        AttributionSums = sums;
    }

    /// <summary>
    /// Gets the signed attributions [N, C, H, W]: (input − baseline) × the path average of d score / d input, per pixel and
    /// channel, in score units. Positive values pushed the score up relative to the baseline. The result owns the tensor (on the CPU).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The result has been disposed.</exception>
    public Tensor Attributions
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _attributions;
        }
    }

    /// <summary>
    /// Gets the heatmaps [N, H, W] in [0, 1]: |Σ over colour channels of the attributions|, each divided by its maximum
    /// (all-zero maps stay zero). The result owns the tensor (on the CPU).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The result has been disposed.</exception>
    public Tensor Maps
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _maps;
        }
    }

    /// <summary>Gets each image's score (per <see cref="AttributionOptions.Target"/>) at the input.</summary>
    public IReadOnlyList<double> InputScores { get; }

    /// <summary>Gets each image's score at its baseline.</summary>
    public IReadOnlyList<double> BaselineScores { get; }

    /// <summary>Gets each image's sum of attributions; by completeness it approximates input score − baseline score.</summary>
    public IReadOnlyList<double> AttributionSums { get; }

    /// <summary>
    /// Gets each image's completeness error: sum of attributions − (input score − baseline score). It comes from the
    /// finite number of steps (kinks of ReLU between the path points) and float rounding; raise
    /// <see cref="IntegratedGradientsOptions.Steps"/> if it is large compared with the score difference.
    /// </summary>
    public IReadOnlyList<double> CompletenessErrors => [.. AttributionSums.Select((s, i) => s - (InputScores[i] - BaselineScores[i]))];

    /// <summary>Frees <see cref="Attributions"/> and <see cref="Maps"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _attributions.Dispose();
        _maps.Dispose();
    }
}
