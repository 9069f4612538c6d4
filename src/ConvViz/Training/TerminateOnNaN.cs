// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>
/// Keras' <c>TerminateOnNaN</c>: stops training quietly (returning the history so far) when the loss becomes NaN or
/// infinite, instead of letting <c>Fit</c> throw <see cref="NonFiniteLossException"/>. The bad batch's update is not applied.
/// </summary>
public sealed class TerminateOnNaN : Callback
{
    /// <summary>Gets the 0-based (epoch, batch) where the loss became invalid in the last run, or <see langword="null"/>.</summary>
    public (int Epoch, int Batch)? TerminatedAt { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingEventArgs e) => TerminatedAt = null;

    /// <inheritdoc/>
    public override void OnBatchEnd(BatchEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Logs.TryGetValue("loss", out var loss) && !double.IsFinite(loss))
        {
            TerminatedAt = (e.Epoch, e.Batch);
            e.RequestStop();
        }
    }
}
