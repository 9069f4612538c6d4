// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

/// <summary>Training a graph model: it learns, and saving with the training state resumes it exactly.</summary>
public sealed class GraphTrainingTests
{
    [Fact]
    public void A_residual_model_trained_two_epochs_saved_loaded_and_trained_two_more_equals_four_straight_bit_for_bit()
    {
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            float[] straight;
            using (var data = TrainingTestData.Brightness(24, 4, 3, shuffle: true))
            using (var model = NewModel())
            {
                var history = model.Fit(data, Options(0, 4));
                Assert.True(history["loss"][^1] < history["loss"][0], "the graph model did not learn");
                straight = TrainingTestData.Weights(model);
            }

            using var stream = new MemoryStream();
            using (var data = TrainingTestData.Brightness(24, 4, 3, shuffle: true))
            using (var model = NewModel())
            {
                model.Fit(data, Options(0, 2));
                model.Save(stream, new ModelSaveOptions { IncludeTrainingState = true });
            }

            stream.Position = 0;
            using (var data = TrainingTestData.Brightness(24, 4, 3, shuffle: true))
            using (var model = Model.Load(stream))
            {
                Assert.False(model.IsSequential);
                model.Fit(data, Options(2, 4));
                Assert.Equal(straight, TrainingTestData.Weights(model));
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static Model NewModel() =>
        GraphModels.Residual(seed: 9, height: 4, width: 4, channels: 1, classes: 2).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adamax(0.01));

    private static FitOptions Options(int initialEpoch, int epochs) =>
        new() { InitialEpoch = initialEpoch, Epochs = epochs, Seed = 5, Verbosity = TrainingVerbosity.Silent };
}
