// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>
/// Keras' <c>ReduceLROnPlateau</c>: multiplies the optimizer's learning rate by <see cref="Factor"/> when the
/// monitored quantity has not improved for <see cref="Patience"/> epochs, then waits <see cref="Cooldown"/> epochs.
/// </summary>
public sealed class ReduceLROnPlateau : Callback
{
    private double _best;
    private int _wait;
    private int _cooldownCounter;

    /// <summary>Gets the logged quantity to watch.</summary>
    /// <value>The default value is <c>val_loss</c>.</value>
    public string Monitor { get; init { MonitoredValue.ValidateName(value, nameof(Monitor)); field = value; } } = "val_loss";

    /// <summary>Gets the factor the learning rate is multiplied by, in (0, 1).</summary>
    /// <value>The default value is 0.1.</value>
    public double Factor
    {
        get;
        init
        {
            if (!(value > 0 && value < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(Factor), value, "ReduceLROnPlateau does not support a factor outside (0, 1).");
            }

            field = value;
        }
    } = 0.1;

    /// <summary>Gets the number of epochs without improvement before the learning rate is reduced.</summary>
    /// <value>The default value is 10.</value>
    public int Patience { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } } = 10;

    /// <summary>Gets whether the quantity should go down or up.</summary>
    /// <value>The default value is <see cref="MonitorMode.Auto"/>.</value>
    public MonitorMode Mode { get; init; }

    /// <summary>Gets the threshold for measuring a new optimum (absolute).</summary>
    /// <value>The default value is 1e-4.</value>
    public double MinDelta { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } } = 1e-4;

    /// <summary>Gets the number of epochs to wait after a reduction before counting again.</summary>
    /// <value>The default value is 0.</value>
    public int Cooldown { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } }

    /// <summary>Gets the lower bound of the learning rate.</summary>
    /// <value>The default value is 0.</value>
    public double MinLearningRate { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingEventArgs e)
    {
        _best = IsMax ? double.NegativeInfinity : double.PositiveInfinity;
        _wait = 0;
        _cooldownCounter = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (context, epoch, logs) = (e.Context, e.Epoch, e.Logs);
        if (!MonitoredValue.TryGet(context, logs, Monitor, nameof(ReduceLROnPlateau), out var current))
        {
            return;
        }

        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _wait = 0;
        }

        if (IsMax ? current > _best + MinDelta : current < _best - MinDelta)
        {
            _best = current;
            _wait = 0;
        }
        else if (_cooldownCounter <= 0)
        {
            _wait++;
            if (_wait >= Patience)
            {
                var old = context.Optimizer.LearningRate;
                if (old > (float)MinLearningRate)
                {
                    var reduced = Math.Max(old * Factor, MinLearningRate);
                    if (reduced > 0)
                    {
                        context.Optimizer.LearningRate = reduced;
                        TrainingLog.LearningRateReduced(context.Logger, epoch + 1, reduced);
                    }

                    _cooldownCounter = Cooldown;
                    _wait = 0;
                }
            }
        }
    }

    private bool IsMax => MonitoredValue.IsMax(Monitor, Mode);
}
