// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Training;

namespace ConvViz.Tests.Training;

public sealed class TrainingProgressTests
{
    [Fact]
    public void ToString_LooksLikeAKerasProgressLine()
    {
        var progress = new TrainingProgress(
            TrainingPhase.TrainingBatch, 2, 10, 12, 50, new Dictionary<string, double> { ["loss"] = 0.69314, ["accuracy"] = 0.5 }, TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(19));

        Assert.Equal("Epoch 3/10 12/50 - ETA: 19s - loss: 0.6931 - accuracy: 0.5000", progress.ToString());
    }
}
