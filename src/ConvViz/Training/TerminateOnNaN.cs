// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>
/// Keras' <c>TerminateOnNaN</c>: stops training quietly (returning the history so far) when the loss becomes NaN or
/// infinite, instead of letting <c>Fit</c> throw <see cref="NonFiniteLossException"/>. The bad batch's update is not applied.
/// </summary>
public sealed class TerminateOnNaN : Callback
{
    private int _epoch;

    /// <summary>Gets the 0-based (epoch, batch) where the loss became invalid in the last run, or <see langword="null"/>.</summary>
    public (int Epoch, int Batch)? TerminatedAt { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context) => TerminatedAt = null;

    /// <inheritdoc/>
    public override void OnEpochBegin(TrainingContext context, int epoch) => _epoch = epoch;

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(logs);
        if (logs.TryGetValue("loss", out var loss) && !double.IsFinite(loss))
        {
            TerminatedAt = (_epoch, batch);
            context.StopTraining = true;
        }
    }
}
