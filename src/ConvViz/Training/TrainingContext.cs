// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConvViz.Training;

/// <summary>The state of one <c>Fit</c> run, shared with the callbacks through their event arguments.</summary>
public sealed class TrainingContext
{
    /// <summary>
    /// Initializes a new instance of the <see cref="TrainingContext"/> class. <c>Fit</c> creates one per run; create one
    /// yourself to drive a callback in a unit test.
    /// </summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="optimizer">Its optimizer, for example <see cref="TrainingExtensions.GetOptimizer"/> of a compiled model.</param>
    /// <param name="epochs">Keras' <c>epochs</c>: the index one past the last epoch of the run.</param>
    /// <param name="stepsPerEpoch">The number of training batches per epoch.</param>
    /// <param name="initialEpoch">The 0-based index of the first epoch of the run.</param>
    /// <param name="history">The history recorded so far; a new, empty one if <see langword="null"/>.</param>
    /// <param name="logger">The run's logger; <see cref="NullLogger.Instance"/> if <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochs"/> is not above <paramref name="initialEpoch"/>, <paramref name="initialEpoch"/> is negative or <paramref name="stepsPerEpoch"/> is not positive.</exception>
    public TrainingContext(Model model, KerasOptimizer optimizer, int epochs, int stepsPerEpoch, int initialEpoch = 0, TrainingHistory? history = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegative(initialEpoch);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(epochs, initialEpoch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsPerEpoch);
        Model = model;
        Optimizer = optimizer;
        InitialEpoch = initialEpoch;
        Epochs = epochs;
        StepsPerEpoch = stepsPerEpoch;
        History = history ?? new TrainingHistory(initialEpoch, epochs, stepsPerEpoch);
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the model being trained.</summary>
    public Model Model { get; }

    /// <summary>Gets the model's optimizer; its <see cref="KerasOptimizer.LearningRate"/> may be changed between batches.</summary>
    public KerasOptimizer Optimizer { get; }

    /// <summary>Gets the 0-based index of the first epoch of this run.</summary>
    public int InitialEpoch { get; }

    /// <summary>Gets Keras' <c>epochs</c>: the index one past the last epoch of this run.</summary>
    public int Epochs { get; }

    /// <summary>Gets the number of training batches per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Gets the history recorded so far.</summary>
    public TrainingHistory History { get; }

    /// <summary>Gets the logger of this run.</summary>
    public ILogger Logger { get; }

    /// <summary>
    /// Gets or sets a value indicating whether training should stop (Keras' <c>model.stop_training</c>). Set during a
    /// batch, training stops after that batch; set at the end of an epoch, no further epoch starts.
    /// <see cref="TrainingEventArgs.RequestStop"/> sets it.
    /// </summary>
    public bool StopTraining { get; set; }
}
