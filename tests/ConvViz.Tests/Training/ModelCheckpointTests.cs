// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;

namespace ConvViz.Tests.Training;

public sealed class ModelCheckpointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "convviz-checkpoint-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void OnEpochEnd_SaveBestOnly_SavesOnlyImprovements()
    {
        using var test = new CallbackTestContext();
        var saved = new List<int>();
        var checkpoint = new ModelCheckpoint(Path.Combine(_directory, "best.bin"))
        {
            SaveBestOnly = true,
            Save = (_, stream) => stream.WriteByte(42),
        };
        var recorder = new LambdaCallback { EpochEnd = e => { if (checkpoint.LastSavedEpoch == e.Epoch) { saved.Add(e.Epoch); } } };

        checkpoint.OnTrainBegin(test.Begin);
        double[] losses = [1.0, 0.8, 0.9, 0.7, 0.7];
        for (var epoch = 0; epoch < losses.Length; epoch++)
        {
            var logs = new Dictionary<string, double> { ["val_loss"] = losses[epoch] };
            checkpoint.OnEpochEnd(test.EpochEnd(epoch, logs));
            recorder.OnEpochEnd(test.EpochEnd(epoch, logs));
        }

        Assert.Equal([0, 1, 3], saved);
        Assert.Equal([42], File.ReadAllBytes(Path.Combine(_directory, "best.bin")));
        Assert.Single(Directory.GetFiles(_directory)); // no temporary files left
    }

    [Fact]
    public void Fit_DefaultSave_WritesAModelFilePerEpochThatModelLoadRestores()
    {
        using var model = TrainingTestData.TinyModel(37).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        var checkpoint = new ModelCheckpoint(Path.Combine(_directory, "model-{epoch}.bin"));

        model.Fit(train, new FitOptions { Epochs = 2, Callbacks = [checkpoint] });

        Assert.True(File.Exists(Path.Combine(_directory, "model-1.bin")));
        Assert.Equal(Path.Combine(_directory, "model-2.bin"), checkpoint.LastSavedPath);
        using var copy = Model.Load(checkpoint.LastSavedPath!);
        Assert.Equal(TrainingTestData.Weights(model), TrainingTestData.Weights(copy));
        Assert.Equal(model.Compilation!.Loss, copy.Compilation!.Loss);
        Assert.Equal(2, Directory.GetFiles(_directory).Length); // model-1.bin, model-2.bin and no temporary files
    }

    [Fact]
    public void OnEpochEnd_SaveThrows_LeavesThePreviousFileAndNoTemporaryFile()
    {
        using var test = new CallbackTestContext();
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "model.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        var checkpoint = new ModelCheckpoint(path) { Save = (_, stream) => { stream.WriteByte(9); throw new IOException("disk full"); } };

        Assert.Throws<IOException>(() => checkpoint.OnEpochEnd(test.EpochEnd(0, new Dictionary<string, double>())));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
