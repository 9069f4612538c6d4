// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// The result of <see cref="IntegratedGradients"/>: the heatmaps and classes of every <see cref="AttributionResult"/>,
/// plus the signed attributions and each image's completeness check. Owns <see cref="Attributions"/> and
/// <see cref="AttributionResult.Maps"/> (both on the CPU).
/// </summary>
public sealed class IntegratedGradientsResult : AttributionResult
{
    private readonly Tensor _attributions;
    private bool _disposed;

    internal IntegratedGradientsResult(
        Tensor attributions, Tensor maps, int[] classIndices, AttributionTarget target, double[] inputScores, double[] baselineScores, double[] sums)
        : base(maps, classIndices, target)
    {
        _attributions = attributions;
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
            ThrowIfDisposed();
            return _attributions;
        }
    }

    /// <summary>Gets each image's score (per <see cref="AttributionOptions.Target"/>, for its class) at the input.</summary>
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

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            if (disposing)
            {
                _attributions.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
