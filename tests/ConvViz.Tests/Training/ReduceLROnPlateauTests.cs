// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;

namespace ConvViz.Tests.Training;

public sealed class ReduceLROnPlateauTests
{
    [Fact]
    public void OnEpochEnd_Plateau_MultipliesLearningRateByFactorAfterPatience()
    {
        using var test = new CallbackTestContext(learningRate: 0.01);
        var reduce = new ReduceLROnPlateau { Factor = 0.5, Patience = 2 };

        test.Run(reduce, "val_loss", 1.0, 1.0, 1.0, 0.5, 0.5, 0.5);

        // epochs 1, 2 without improvement → 0.005; epoch 3 improves; epochs 4, 5 → 0.0025.
        Assert.Equal(0.0025, test.Context.Optimizer.LearningRate, 1e-12);
    }

    [Fact]
    public void OnEpochEnd_MinLearningRate_IsALowerBound()
    {
        using var test = new CallbackTestContext(learningRate: 0.01);
        var reduce = new ReduceLROnPlateau { Factor = 0.1, Patience = 1, MinLearningRate = 0.0005 };

        test.Run(reduce, "val_loss", 1, 1, 1, 1, 1);

        Assert.Equal(0.0005, test.Context.Optimizer.LearningRate, 1e-12);
    }

    [Fact]
    public void OnEpochEnd_Cooldown_ResetsTheWait()
    {
        using var test = new CallbackTestContext(learningRate: 1);
        var reduce = new ReduceLROnPlateau { Factor = 0.5, Patience = 1, Cooldown = 2 };

        test.Run(reduce, "val_loss", 1, 1, 1, 1);

        // epoch 1 reduces to 0.5 and starts a 2-epoch cooldown: epoch 2 is in cooldown, epoch 3 counts again and reduces.
        Assert.Equal(0.25, test.Context.Optimizer.LearningRate, 1e-12);
    }

    [Fact]
    public void Factor_OutsideZeroOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau { Factor = 1 });
    }

    [Fact]
    public void Fit_ReducedLearningRate_IsRecordedInTheHistory()
    {
        using var model = TrainingTestData.TinyModel(35).Compile(new CompileOptions { Optimizer = OptimizerOptions.Sgd(1e-9) });
        using var train = TrainingTestData.Brightness(8, 4, 1);

        var history = model.Fit(train, new FitOptions { Epochs = 3, Callbacks = [new ReduceLROnPlateau { Monitor = "loss", Patience = 0, MinDelta = 1 }] });

        // As in Keras, an epoch records the rate it trained with; the reduction at the end of epoch 1 shows from epoch 2.
        Assert.Equal([1e-9, 1e-9, 1e-10], history.LearningRates, new Tolerance());
        Assert.Equal(1e-11, model.GetOptimizer().LearningRate, 1e-20);
    }

    private sealed class Tolerance : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= 1e-15;

        public int GetHashCode(double obj) => 0;
    }
}
