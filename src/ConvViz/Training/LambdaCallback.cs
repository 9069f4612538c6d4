// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>Keras' <c>LambdaCallback</c>: a callback built from delegates; unset hooks do nothing.</summary>
/// <example>
/// <code>
/// var printer = new LambdaCallback { EpochEnd = e => Console.WriteLine($"epoch {e.Epoch + 1}: loss {e.Logs["loss"]:F4}") };
/// </code>
/// </example>
public sealed class LambdaCallback : Callback
{
    /// <summary>Gets the action run before the first epoch.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<TrainingEventArgs>? TrainBegin { get; init; }

    /// <summary>Gets the action run after the last epoch, with the last epoch's logs.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<TrainingEventArgs>? TrainEnd { get; init; }

    /// <summary>Gets the action run at the start of an epoch.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<EpochEventArgs>? EpochBegin { get; init; }

    /// <summary>Gets the action run at the end of an epoch, with its logs.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<EpochEventArgs>? EpochEnd { get; init; }

    /// <summary>Gets the action run before a batch.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<BatchEventArgs>? BatchBegin { get; init; }

    /// <summary>Gets the action run after a batch, with the running logs.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<BatchEventArgs>? BatchEnd { get; init; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingEventArgs e) => TrainBegin?.Invoke(e);

    /// <inheritdoc/>
    public override void OnTrainEnd(TrainingEventArgs e) => TrainEnd?.Invoke(e);

    /// <inheritdoc/>
    public override void OnEpochBegin(EpochEventArgs e) => EpochBegin?.Invoke(e);

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochEventArgs e) => EpochEnd?.Invoke(e);

    /// <inheritdoc/>
    public override void OnBatchBegin(BatchEventArgs e) => BatchBegin?.Invoke(e);

    /// <inheritdoc/>
    public override void OnBatchEnd(BatchEventArgs e) => BatchEnd?.Invoke(e);
}
