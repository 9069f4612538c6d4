// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConvViz.Tests.Training;

/// <summary>Drives a callback by hand with a sequence of epoch logs, without training.</summary>
internal sealed class CallbackTestContext : IDisposable
{
    public CallbackTestContext(double learningRate = 0.01)
    {
        Model = TrainingTestData.TinyModel(31).Compile(new CompileOptions { Optimizer = OptimizerOptions.Adam(learningRate) });
        Context = new TrainingContext(Model, Model.GetOptimizer(), epochs: 100, stepsPerEpoch: 1, logger: NullLogger.Instance);
    }

    public Model Model { get; }

    public TrainingContext Context { get; }

    /// <summary>Runs OnTrainBegin, then OnEpochEnd for each value (under <paramref name="key"/>) until StopTraining; returns the epochs run.</summary>
    public int Run(Callback callback, string key, params double[] values)
    {
        callback.OnTrainBegin(Begin);
        var epochs = 0;
        for (var epoch = 0; epoch < values.Length && !Context.StopTraining; epoch++)
        {
            callback.OnEpochBegin(new EpochEventArgs { Context = Context, Epoch = epoch });
            callback.OnEpochEnd(EpochEnd(epoch, new Dictionary<string, double> { [key] = values[epoch], ["loss"] = 1 }));
            epochs++;
        }

        callback.OnTrainEnd(Begin);
        return epochs;
    }

    /// <summary>Gets the arguments of the train-begin and train-end events (built with the public API, as a user's own test would).</summary>
    public TrainingEventArgs Begin => new() { Context = Context };

    /// <summary>Returns the arguments of an epoch-end event.</summary>
    public EpochEventArgs EpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => new() { Context = Context, Epoch = epoch, Logs = logs };

    public void Dispose() => Model.Dispose();
}
