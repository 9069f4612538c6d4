// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;

namespace ConvViz.Tests.Training;

public sealed class LambdaCallbackTests
{
    [Fact]
    public void Fit_CallsHooksInKerasOrder()
    {
        using var model = TrainingTestData.TinyModel(51).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(4, 2, 1);
        using var validation = TrainingTestData.Brightness(2, 2, 2);
        var calls = new List<string>();
        var recorder = new LambdaCallback
        {
            TrainBegin = _ => calls.Add("train_begin"),
            EpochBegin = e => calls.Add($"epoch_begin {e.Epoch}"),
            BatchBegin = e => calls.Add($"batch_begin {e.Epoch}.{e.Batch} {e.Logs.Count}"),
            BatchEnd = e => calls.Add($"batch_end {e.Epoch}.{e.Batch} {string.Join(",", e.Logs.Keys)}"),
            EpochEnd = e => calls.Add($"epoch_end {e.Epoch} {string.Join(",", e.Logs.Keys.Order(StringComparer.Ordinal))}"),
            TrainEnd = e => calls.Add($"train_end {string.Join(",", e.Logs.Keys.Order(StringComparer.Ordinal))}"),
        };

        model.Fit(train, new FitOptions { Epochs = 2, InitialEpoch = 1, ValidationData = validation, Callbacks = [recorder] });

        Assert.Equal(
            [
                "train_begin",
                "epoch_begin 1",
                "batch_begin 1.0 0",
                "batch_end 1.0 loss,accuracy",
                "batch_begin 1.1 0",
                "batch_end 1.1 loss,accuracy",
                "epoch_end 1 accuracy,learning_rate,loss,val_accuracy,val_loss",
                "train_end accuracy,learning_rate,loss,val_accuracy,val_loss",
            ],
            calls);
    }

    [Fact]
    public void Fit_StopTrainingInABatch_EndsAfterThatBatchAndStillRecordsTheEpoch()
    {
        using var model = TrainingTestData.TinyModel(53).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 2, 1);
        var stopper = new LambdaCallback { BatchEnd = e => { if (e.Batch == 1) { e.RequestStop(); } } };

        var history = model.Fit(train, new FitOptions { Epochs = 5, Callbacks = [stopper] });

        Assert.Single(history.Epochs);
        Assert.Equal(2, model.GetOptimizer().Iterations);
    }

    [Fact]
    public void EventArguments_AreBuiltWithThePublicApi_SoAUsersCallbackCanBeUnitTested()
    {
        // What a user's own test of their callback looks like: no Fit, no internal constructors.
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        var context = new TrainingContext(model, model.GetOptimizer(), epochs: 10, stepsPerEpoch: 4);
        var stopAboveLoss = new LambdaCallback { BatchEnd = e => { if (e.Logs["loss"] > 2) { e.RequestStop(); } } };

        stopAboveLoss.OnBatchEnd(new BatchEventArgs { Context = context, Epoch = 3, Batch = 1, Logs = new Dictionary<string, double> { ["loss"] = 1.5 } });
        Assert.False(context.StopTraining);
        stopAboveLoss.OnBatchEnd(new BatchEventArgs { Context = context, Epoch = 3, Batch = 2, Logs = new Dictionary<string, double> { ["loss"] = 2.5 } });
        Assert.True(context.StopTraining);

        var begin = new EpochEventArgs { Context = context, Epoch = 0 };
        Assert.Same(model, begin.Model);
        Assert.Empty(begin.Logs);
        Assert.Equal(10, context.Epochs);
        Assert.Empty(context.History.Epochs);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchEventArgs { Context = context, Epoch = 0, Batch = -1 });
        Assert.Throws<ArgumentNullException>(() => new TrainingEventArgs { Context = null! });
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingContext(model, model.GetOptimizer(), epochs: 2, stepsPerEpoch: 1, initialEpoch: 2));
    }
}
