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
        Context = new TrainingContext(Model, Model.GetOptimizer(), new FitOptions { Epochs = 100 }, 1, new TrainingHistory(0, 100, 1), NullLogger.Instance);
    }

    public Model Model { get; }

    public TrainingContext Context { get; }

    /// <summary>Runs OnTrainBegin, then OnEpochEnd for each value (under <paramref name="key"/>) until StopTraining; returns the epochs run.</summary>
    public int Run(Callback callback, string key, params double[] values)
    {
        callback.OnTrainBegin(Context);
        var epochs = 0;
        for (var epoch = 0; epoch < values.Length && !Context.StopTraining; epoch++)
        {
            callback.OnEpochBegin(Context, epoch);
            callback.OnEpochEnd(Context, epoch, new Dictionary<string, double> { [key] = values[epoch], ["loss"] = 1 });
            epochs++;
        }

        callback.OnTrainEnd(Context);
        return epochs;
    }

    public void Dispose() => Model.Dispose();
}
