// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

public sealed class EarlyStoppingTests
{
    [Fact]
    public void OnEpochEnd_NoImprovementForPatienceEpochs_Stops()
    {
        using var test = new CallbackTestContext();
        using var early = new EarlyStopping { Patience = 2 };

        var epochs = test.Run(early, "val_loss", 1.0, 0.9, 0.95, 0.92, 0.5);

        Assert.Equal(4, epochs);
        Assert.Equal(3, early.StoppedEpoch);
        Assert.Equal(1, early.BestEpoch);
        Assert.Equal(0.9, early.Best);
    }

    [Fact]
    public void OnEpochEnd_MinDelta_SmallImprovementsDoNotCount()
    {
        using var test = new CallbackTestContext();
        using var early = new EarlyStopping { Patience = 1, MinDelta = 0.1 };

        var epochs = test.Run(early, "val_loss", 1.0, 0.95, 0.5);

        Assert.Equal(2, epochs);
        Assert.Equal(1, early.StoppedEpoch);
    }

    [Fact]
    public void OnEpochEnd_AutoModeOnAccuracy_MaximisesIt()
    {
        using var test = new CallbackTestContext();
        using var early = new EarlyStopping { Monitor = "val_accuracy", Patience = 1 };

        var epochs = test.Run(early, "val_accuracy", 0.5, 0.6, 0.7, 0.65, 0.9);

        Assert.Equal(4, epochs);
        Assert.Equal(2, early.BestEpoch);
    }

    [Fact]
    public void OnEpochEnd_MissingMonitor_DoesNothing()
    {
        using var test = new CallbackTestContext();
        using var early = new EarlyStopping { Monitor = "val_auc" };

        Assert.Equal(3, test.Run(early, "val_loss", 1, 1, 1));
        Assert.Null(early.StoppedEpoch);
    }

    [Fact]
    public void Fit_RestoreBestWeights_RestoresTheBestEpochsWeights()
    {
        using var test = new CallbackTestContext();
        using var early = new EarlyStopping { Patience = 1, RestoreBestWeights = true };
        float[]? bestWeights = null;
        early.OnTrainBegin(test.Begin);
        double[] losses = [1.0, 0.5, 0.7, 0.8];
        for (var epoch = 0; epoch < losses.Length && !test.Context.StopTraining; epoch++)
        {
            using (no_grad())
            {
                using var step = Scalars.Create(1.0);
                foreach (var p in test.Model.Module.parameters())
                {
                    p.add_(step, Scalars.One); // a different set of weights every epoch
                }
            }

            if (epoch == 1)
            {
                bestWeights = TrainingTestData.Weights(test.Model);
            }

            early.OnEpochEnd(test.EpochEnd(epoch, new Dictionary<string, double> { ["val_loss"] = losses[epoch] }));
        }

        Assert.Equal(2, early.StoppedEpoch);
        Assert.Equal(bestWeights, TrainingTestData.Weights(test.Model));
    }

    [Fact]
    public void Fit_WithEarlyStopping_EndsTrainingEarly()
    {
        using var model = TrainingTestData.TinyModel(33).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Sgd(1e-9));
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var early = new EarlyStopping { Monitor = "loss", Patience = 0, MinDelta = 1 };

        var history = model.Fit(train, new FitOptions { Epochs = 10, Callbacks = [early] });

        Assert.Equal(2, history.Count); // epoch 0 sets the best; epoch 1 does not improve by 1 → stop (Keras never stops at epoch 0)
    }
}
