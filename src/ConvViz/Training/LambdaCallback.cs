// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>Keras' <c>LambdaCallback</c>: a callback built from delegates; unset hooks do nothing.</summary>
public sealed class LambdaCallback : Callback
{
    /// <summary>Gets the action run before the first epoch.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<TrainingContext>? TrainBegin { get; init; }

    /// <summary>Gets the action run after the last epoch.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<TrainingContext>? TrainEnd { get; init; }

    /// <summary>Gets the action run at the start of an epoch, with its 0-based index.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<TrainingContext, int>? EpochBegin { get; init; }

    /// <summary>Gets the action run at the end of an epoch, with its index and logs.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<TrainingContext, int, IReadOnlyDictionary<string, double>>? EpochEnd { get; init; }

    /// <summary>Gets the action run before a batch, with its 0-based index in the epoch.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<TrainingContext, int>? BatchBegin { get; init; }

    /// <summary>Gets the action run after a batch, with its index and the running logs.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<TrainingContext, int, IReadOnlyDictionary<string, double>>? BatchEnd { get; init; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingContext context) => TrainBegin?.Invoke(context);

    /// <inheritdoc/>
    public override void OnTrainEnd(TrainingContext context) => TrainEnd?.Invoke(context);

    /// <inheritdoc/>
    public override void OnEpochBegin(TrainingContext context, int epoch) => EpochBegin?.Invoke(context, epoch);

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, int epoch, IReadOnlyDictionary<string, double> logs) => EpochEnd?.Invoke(context, epoch, logs);

    /// <inheritdoc/>
    public override void OnBatchBegin(TrainingContext context, int batch) => BatchBegin?.Invoke(context, batch);

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context, int batch, IReadOnlyDictionary<string, double> logs) => BatchEnd?.Invoke(context, batch, logs);
}
