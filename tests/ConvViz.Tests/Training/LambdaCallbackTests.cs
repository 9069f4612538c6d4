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
            EpochBegin = (_, e) => calls.Add($"epoch_begin {e}"),
            BatchBegin = (_, b) => calls.Add($"batch_begin {b}"),
            BatchEnd = (_, b, logs) => calls.Add($"batch_end {b} {string.Join(",", logs.Keys)}"),
            EpochEnd = (_, e, logs) => calls.Add($"epoch_end {e} {string.Join(",", logs.Keys.Order(StringComparer.Ordinal))}"),
            TrainEnd = _ => calls.Add("train_end"),
        };

        model.Fit(train, new FitOptions { Epochs = 2, InitialEpoch = 1, ValidationData = validation, Callbacks = [recorder] });

        Assert.Equal(
            [
                "train_begin",
                "epoch_begin 1",
                "batch_begin 0",
                "batch_end 0 loss,accuracy",
                "batch_begin 1",
                "batch_end 1 loss,accuracy",
                "epoch_end 1 accuracy,learning_rate,loss,val_accuracy,val_loss",
                "train_end",
            ],
            calls);
    }

    [Fact]
    public void Fit_StopTrainingInABatch_EndsAfterThatBatchAndStillRecordsTheEpoch()
    {
        using var model = TrainingTestData.TinyModel(53).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 2, 1);
        var stopper = new LambdaCallback { BatchEnd = (c, b, _) => c.StopTraining = b == 1 };

        var history = model.Fit(train, new FitOptions { Epochs = 5, Callbacks = [stopper] });

        Assert.Single(history.Epochs);
        Assert.Equal(2, model.GetOptimizer().Iterations);
    }
}
