// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Training;

namespace ConvViz.Tests.Training;

/// <summary>Keras carries one validation iterator across epochs; so must <c>Fit</c>.</summary>
public sealed class ValidationCursorTests
{
    [Fact]
    public void Fit_ValidationSteps_ContinuesTheValidationCursorAcrossEpochs()
    {
        using var model = TrainingTestData.TinyModel(23).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var inner = TrainingTestData.Brightness(24, 4, 2); // 6 batches per pass
        var validation = new RecordingSource(inner);

        model.Fit(train, new FitOptions { Epochs = 4, StepsPerEpoch = 1, ValidationData = validation, ValidationSteps = 2 });

        // Epochs 1–3 walk through the pass two batches at a time; epoch 4 starts the next pass.
        Assert.Equal([(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 0), (1, 1)], validation.Drawn);
    }

    [Fact]
    public void Fit_ValidationSteps_ResumedFitStartsAtTheInitialEpochsPass()
    {
        using var model = TrainingTestData.TinyModel(29).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var inner = TrainingTestData.Brightness(8, 4, 2); // 2 batches per pass
        var validation = new RecordingSource(inner);

        model.Fit(train, new FitOptions { InitialEpoch = 2, Epochs = 4, ValidationData = validation, ValidationSteps = 3 });

        // Epochs 2 and 3, three batches each, through passes 2, 3 and 4 (the training cursor also starts at pass 2).
        Assert.Equal([(2, 0), (2, 1), (3, 0), (3, 1), (4, 0), (4, 1)], validation.Drawn);
    }

    [Fact]
    public void Fit_NoValidationSteps_ValidatesOneFullPassPerEpoch()
    {
        using var model = TrainingTestData.TinyModel(31).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var inner = TrainingTestData.Brightness(12, 4, 2); // 3 batches per pass
        var validation = new RecordingSource(inner);

        model.Fit(train, new FitOptions { Epochs = 2, ValidationData = validation });

        // One whole pass per epoch, numbered by the epoch (so a shuffled or augmented source varies, as in Keras).
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], validation.Drawn);
    }

    /// <summary>Records (pass, batch index) for every batch it yields.</summary>
    private sealed class RecordingSource(IBatchSource inner) : IBatchSource
    {
        public List<(int Pass, int Index)> Drawn { get; } = [];

        public int SampleCount => inner.SampleCount;

        public int BatchSize => inner.BatchSize;

        public int BatchesPerEpoch => inner.BatchesPerEpoch;

        public IReadOnlyList<string> ClassNames => inner.ClassNames;

        public ClassMode ClassMode => inner.ClassMode;

        public ImagePreprocessing Preprocessing => inner.Preprocessing;

        public IEnumerable<Batch> GetBatches(int epoch, CancellationToken cancellationToken = default)
        {
            var index = 0;
            foreach (var batch in inner.GetBatches(epoch, cancellationToken))
            {
                Drawn.Add((epoch, index++));
                yield return batch;
            }
        }
    }
}
