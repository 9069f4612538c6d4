// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;

namespace ConvViz.Tests.Training;

public sealed class TerminateOnNaNTests
{
    [Fact]
    public void Fit_NaNLoss_StopsQuietlyAndReturnsTheHistory()
    {
        using var model = TrainingTestData.TinyModel(43).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 2, 1, nanAt: 2); // batch index 1
        var terminate = new TerminateOnNaN();
        var batchesRun = 0;

        var history = model.Fit(train, new FitOptions { Epochs = 3, Callbacks = [terminate, new LambdaCallback { BatchEnd = e => batchesRun++ }] });

        Assert.Equal((0, 1), terminate.TerminatedAt);
        Assert.Equal(2, batchesRun);
        Assert.Single(history.Epochs);
        Assert.True(double.IsNaN(history["loss"][0]));
        Assert.Equal(1, model.GetOptimizer().Iterations); // the NaN batch was not applied
        Assert.All(TrainingTestData.Weights(model), w => Assert.True(float.IsFinite(w)));
    }
}
