// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>
/// Keras' <c>EarlyStopping</c>: stops training when the monitored quantity has not improved by more than
/// <see cref="MinDelta"/> for <see cref="Patience"/> epochs, optionally restoring the best weights.
/// </summary>
/// <remarks>Not reusable concurrently; its state resets at the start of every <c>Fit</c>.</remarks>
public sealed class EarlyStopping : Callback, IDisposable
{
    private WeightSnapshot? _bestWeights;
    private int _wait;
    private double _best;

    /// <summary>Gets the logged quantity to watch.</summary>
    /// <value>The default value is <c>val_loss</c>.</value>
    public string Monitor { get; init { MonitoredValue.ValidateName(value, nameof(Monitor)); field = value; } } = "val_loss";

    /// <summary>Gets the minimum absolute change that counts as an improvement.</summary>
    /// <value>The default value is 0.</value>
    public double MinDelta { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = Math.Abs(value); } }

    /// <summary>Gets the number of epochs without improvement after which training stops.</summary>
    /// <value>The default value is 0.</value>
    public int Patience { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } }

    /// <summary>Gets whether the quantity should go down or up.</summary>
    /// <value>The default value is <see cref="MonitorMode.Auto"/>.</value>
    public MonitorMode Mode { get; init; }

    /// <summary>Gets a baseline the quantity must beat, or <see langword="null"/>; while it is not beaten, the patience counter keeps running.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public double? Baseline { get; init; }

    /// <summary>Gets a value indicating whether to restore the weights of the best epoch when stopping.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool RestoreBestWeights { get; init; }

    /// <summary>Gets the first epoch index at which improvement is checked (a warm-up period).</summary>
    /// <value>The default value is 0.</value>
    public int StartFromEpoch { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } }

    /// <summary>Gets the 0-based epoch at which training was stopped in the last run, or <see langword="null"/>.</summary>
    public int? StoppedEpoch { get; private set; }

    /// <summary>Gets the 0-based epoch with the best value in the last run, or <see langword="null"/>.</summary>
    public int? BestEpoch { get; private set; }

    /// <summary>Gets the best value seen in the last run (±∞ before any).</summary>
    public double Best => _best;

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _wait = 0;
        StoppedEpoch = null;
        BestEpoch = null;
        _best = IsMax ? double.NegativeInfinity : double.PositiveInfinity;
        DisposeSnapshot();
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (context, epoch, logs) = (e.Context, e.Epoch, e.Logs);
        if (!MonitoredValue.TryGet(context, logs, Monitor, nameof(EarlyStopping), out var current) || epoch < StartFromEpoch)
        {
            return;
        }

        if (RestoreBestWeights && _bestWeights is null)
        {
            // As Keras: keep the first epoch's weights in case no epoch ever improves.
            _bestWeights = WeightSnapshot.Take(context.Model);
        }

        _wait++;
        if (IsImprovement(current, _best))
        {
            _best = current;
            BestEpoch = epoch;
            if (RestoreBestWeights)
            {
                _bestWeights?.Dispose();
                _bestWeights = WeightSnapshot.Take(context.Model);
            }

            if (Baseline is not { } baseline || IsImprovement(current, baseline))
            {
                _wait = 0;
            }

            return;
        }

        if (_wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            e.RequestStop();
            if (RestoreBestWeights && _bestWeights is not null)
            {
                _bestWeights.Restore(context.Model);
            }

            TrainingLog.EarlyStopped(context.Logger, epoch + 1, Monitor, _best, (BestEpoch ?? epoch) + 1);
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(TrainingEventArgs e) => DisposeSnapshot();

    /// <summary>Frees the saved best weights, if any.</summary>
    public void Dispose() => DisposeSnapshot();

    private bool IsMax => MonitoredValue.IsMax(Monitor, Mode);

    private bool IsImprovement(double value, double reference) =>
        IsMax ? value - MinDelta > reference : value + MinDelta < reference;

    private void DisposeSnapshot()
    {
        _bestWeights?.Dispose();
        _bestWeights = null;
    }
}
