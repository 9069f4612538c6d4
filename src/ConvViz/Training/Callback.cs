// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>
/// Base class of training callbacks (Keras' <c>keras.callbacks.Callback</c>). Override the hooks you need; the
/// defaults do nothing. Hooks run on the training thread, in the order the callbacks were given. Each hook takes one
/// argument object (<see cref="TrainingEventArgs"/>, <see cref="EpochEventArgs"/>, <see cref="BatchEventArgs"/>) with the
/// run's context, the indices, Keras' logs and <see cref="TrainingEventArgs.RequestStop"/>; the argument types are
/// public and constructible, so callbacks can be unit-tested without training.
/// </summary>
/// <remarks>
/// A hook that throws stops training: <c>Fit</c> restores the model's mode and rethrows the exception unchanged,
/// and the model and its optimizer stay usable (no update is half-applied: a hook runs before or after a whole
/// optimizer step). Call <see cref="TrainingEventArgs.RequestStop"/> to end training gracefully after the current
/// batch or epoch.
/// </remarks>
public abstract class Callback
{
    /// <summary>Called once before the first epoch.</summary>
    /// <param name="e">The run's context; <see cref="TrainingEventArgs.Logs"/> is empty.</param>
    public virtual void OnTrainBegin(TrainingEventArgs e)
    {
    }

    /// <summary>Called once after the last epoch (also when training was stopped by a callback).</summary>
    /// <param name="e">The run's context and the last epoch's logs (empty if no epoch ended).</param>
    public virtual void OnTrainEnd(TrainingEventArgs e)
    {
    }

    /// <summary>Called at the start of an epoch.</summary>
    /// <param name="e">The run's context and the 0-based epoch index; <see cref="TrainingEventArgs.Logs"/> is empty.</param>
    public virtual void OnEpochBegin(EpochEventArgs e)
    {
    }

    /// <summary>Called at the end of an epoch, after validation.</summary>
    /// <param name="e">The run's context, the epoch index and its logs: <c>loss</c>, each metric, <c>val_*</c> and <c>learning_rate</c>.</param>
    public virtual void OnEpochEnd(EpochEventArgs e)
    {
    }

    /// <summary>Called before a training batch.</summary>
    /// <param name="e">The run's context, the epoch and the 0-based batch index within it; <see cref="TrainingEventArgs.Logs"/> is empty.</param>
    public virtual void OnBatchBegin(BatchEventArgs e)
    {
    }

    /// <summary>Called after a training batch (after the optimizer step, or instead of it when the loss was not finite).</summary>
    /// <param name="e">The run's context, the indices and the running, sample-weighted means of the epoch so far (<c>loss</c> and each metric).</param>
    public virtual void OnBatchEnd(BatchEventArgs e)
    {
    }
}
