// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>
/// Base class of training callbacks (Keras' <c>keras.callbacks.Callback</c>). Override the hooks you need; the
/// defaults do nothing. Hooks run on the training thread, in the order the callbacks were given.
/// </summary>
/// <remarks>
/// A hook that throws stops training: <c>Fit</c> restores the model's mode and rethrows the exception unchanged,
/// and the model and its optimizer stay usable (no update is half-applied). Set
/// <see cref="TrainingContext.StopTraining"/> to end training gracefully after the current batch or epoch.
/// </remarks>
public abstract class Callback
{
    /// <summary>Called once before the first epoch.</summary>
    /// <param name="context">The state of this training run.</param>
    public virtual void OnTrainBegin(TrainingContext context)
    {
    }

    /// <summary>Called once after the last epoch (also when training was stopped by a callback).</summary>
    /// <param name="context">The state of this training run.</param>
    public virtual void OnTrainEnd(TrainingContext context)
    {
    }

    /// <summary>Called at the start of an epoch.</summary>
    /// <param name="context">The state of this training run.</param>
    /// <param name="epoch">The 0-based epoch index (Keras' numbering; the progress display shows <paramref name="epoch"/> + 1).</param>
    public virtual void OnEpochBegin(TrainingContext context, int epoch)
    {
    }

    /// <summary>Called at the end of an epoch, after validation.</summary>
    /// <param name="context">The state of this training run.</param>
    /// <param name="epoch">The 0-based epoch index.</param>
    /// <param name="logs">The epoch's values under Keras' keys: <c>loss</c>, each metric, <c>val_*</c> and <c>learning_rate</c>.</param>
    public virtual void OnEpochEnd(TrainingContext context, int epoch, IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called before a training batch.</summary>
    /// <param name="context">The state of this training run.</param>
    /// <param name="batch">The 0-based batch index within the epoch.</param>
    public virtual void OnBatchBegin(TrainingContext context, int batch)
    {
    }

    /// <summary>Called after a training batch (after the optimizer step, or instead of it when the loss was not finite).</summary>
    /// <param name="context">The state of this training run.</param>
    /// <param name="batch">The 0-based batch index within the epoch.</param>
    /// <param name="logs">The running, sample-weighted means of the epoch so far (<c>loss</c> and each metric).</param>
    public virtual void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs)
    {
    }
}
