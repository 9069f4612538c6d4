// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>A progress report of <c>Fit</c> or <c>Evaluate</c>: enough to draw Keras' progress bar.</summary>
public sealed class TrainingProgress
{
    internal TrainingProgress(TrainingPhase phase, int epoch, int epochs, int step, int totalSteps, IReadOnlyDictionary<string, double> metrics, TimeSpan elapsed, TimeSpan estimatedRemaining)
    {
        Phase = phase;
        Epoch = epoch;
        Epochs = epochs;
        Step = step;
        TotalSteps = totalSteps;
        Metrics = metrics;
        Elapsed = elapsed;
        EstimatedRemaining = estimatedRemaining;
    }

    /// <summary>Gets what this report describes.</summary>
    public TrainingPhase Phase { get; }

    /// <summary>Gets the 0-based epoch index; Keras displays "Epoch <see cref="Epoch"/> + 1/<see cref="Epochs"/>".</summary>
    public int Epoch { get; }

    /// <summary>Gets Keras' <c>epochs</c>, the final epoch number.</summary>
    public int Epochs { get; }

    /// <summary>Gets the number of batches done in this phase (1-based); equals <see cref="TotalSteps"/> at the epoch end.</summary>
    public int Step { get; }

    /// <summary>Gets the number of batches of this phase.</summary>
    public int TotalSteps { get; }

    /// <summary>Gets the running, sample-weighted means so far (at the epoch end: the epoch's values including <c>val_*</c>).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>Gets the time spent in this epoch (or evaluation) so far.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets the estimated time until this phase ends, from the mean time per batch so far; zero at the end.</summary>
    public TimeSpan EstimatedRemaining { get; }

    /// <summary>Formats the report like one line of Keras' progress bar.</summary>
    /// <returns>For example <c>Epoch 3/10 12/50 - ETA: 4s - loss: 0.6931 - accuracy: 0.5000</c>.</returns>
    public override string ToString()
    {
        var values = string.Concat(Metrics.Select(kv => FormattableString.Invariant($" - {kv.Key}: {kv.Value:0.0000}")));
        return FormattableString.Invariant($"Epoch {Epoch + 1}/{Epochs} {Step}/{TotalSteps} - ETA: {EstimatedRemaining.TotalSeconds:0}s{values}");
    }
}
