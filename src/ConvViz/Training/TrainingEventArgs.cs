// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;

namespace ConvViz.Training;

/// <summary>
/// What a callback receives at the start and the end of training (<see cref="Callback.OnTrainBegin"/>,
/// <see cref="Callback.OnTrainEnd"/>); the base of the epoch and batch arguments. One argument object per event, so
/// that later fields do not change the hooks' signatures. Public and constructible, so a callback can be unit-tested
/// without a <c>Fit</c>.
/// </summary>
/// <example>
/// <code>
/// var context = new TrainingContext(model, model.GetOptimizer(), epochs: 10, stepsPerEpoch: 1);
/// myCallback.OnEpochEnd(new EpochEventArgs { Context = context, Epoch = 0, Logs = new Dictionary&lt;string, double&gt; { ["val_loss"] = 0.4 } });
/// </code>
/// </example>
public class TrainingEventArgs : EventArgs
{
    private static readonly IReadOnlyDictionary<string, double> NoLogs = new Dictionary<string, double>();

    /// <summary>Gets the state of the training run (the model, its optimizer, the history so far, the logger).</summary>
    public required TrainingContext Context
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Context));
    }

    /// <summary>
    /// Gets the values of this event under Keras' keys: at the end of an epoch <c>loss</c>, each metric, <c>val_*</c> and
    /// <c>learning_rate</c>; at the end of a batch the running, sample-weighted means of the epoch so far; at the end of
    /// training the last epoch's values; empty where Keras passes no logs (the begin events).
    /// </summary>
    /// <value>The default value is an empty dictionary.</value>
    public IReadOnlyDictionary<string, double> Logs
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Logs));
    } = NoLogs;

    /// <summary>Gets the model being trained (<c>Context.Model</c>).</summary>
    public Model Model => Context.Model;

    /// <summary>
    /// Asks training to stop gracefully (Keras' <c>model.stop_training = True</c>): during a batch, training stops after
    /// that batch; at the end of an epoch, no further epoch starts. The epoch's remaining callbacks still run.
    /// </summary>
    public void RequestStop() => Context.StopTraining = true;
}
