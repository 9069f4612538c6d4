// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using Microsoft.Extensions.Logging;

namespace ConvViz.Training;

/// <summary>The state of one <c>Fit</c> run, shared with the callbacks.</summary>
public sealed class TrainingContext
{
    internal TrainingContext(Model model, KerasOptimizer optimizer, FitOptions options, int stepsPerEpoch, TrainingHistory history, ILogger logger)
    {
        Model = model;
        Optimizer = optimizer;
        InitialEpoch = options.InitialEpoch;
        Epochs = options.Epochs;
        StepsPerEpoch = stepsPerEpoch;
        History = history;
        Logger = logger;
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
    /// </summary>
    public bool StopTraining { get; set; }
}
