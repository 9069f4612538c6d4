// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Tests.Data;
using ConvViz.Tests.Training;
using ConvViz.Training;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// Faults while training that the Training tests do not already cover (plain cancellation, a throwing callback, NaN
/// loss and a throwing checkpoint writer are there): image files that disappear mid-epoch, a checkpoint target that
/// cannot be written, a disk that fills up on a later checkpoint, and cancellation with checkpoints on disk. Each test
/// checks that the model and the files on disk stay consistent.
/// </summary>
public sealed class TrainingFaultTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fit_ImageDeletedDuringEpoch_SkipPolicy_TrainsOnTheRestAndCountsIt()
    {
        using var ds = GrayFolder(BadFilePolicy.Skip);
        var victim = ds.FilePaths[^1];
        using var model = TrainingTestData.TinyModel(5).Compile(new CompileOptions());
        var deleter = new LambdaCallback { BatchBegin = e => { if (e.Batch == 2) { File.Delete(victim); } } };

        var history = model.Fit(ds, new FitOptions { Epochs = 2, Callbacks = [deleter] });

        Assert.Equal([0, 1], history.Epochs);
        var skipped = Assert.Single(ds.SkippedFiles);
        Assert.Equal(victim, skipped.Path);
        Assert.Equal(ImageFileProblem.Unreadable, skipped.Problem);
        Assert.Equal(11, ds.SampleCount);
        Assert.Equal(12, model.GetOptimizer().Iterations);
        Assert.False(model.Module.training);
        Assert.All(TrainingTestData.Weights(model), w => Assert.True(float.IsFinite(w)));
    }

    [Fact]
    public void Fit_ImageDeletedDuringEpoch_ThrowPolicy_FailsNamingFileModelStaysUsable()
    {
        using var ds = GrayFolder(BadFilePolicy.Throw);
        var victim = ds.FilePaths[^1];
        var saved = File.ReadAllBytes(victim);
        using var model = TrainingTestData.TinyModel(5).Compile(new CompileOptions());
        var deleter = new LambdaCallback { BatchBegin = e => { if (e.Batch == 2) { File.Delete(victim); } } };
        float[]? afterLastGoodStep = null;
        var snapshot = new LambdaCallback { BatchEnd = e => afterLastGoodStep = TrainingTestData.Weights(e.Model) };

        var ex = Assert.Throws<InvalidImageFileException>(() => model.Fit(ds, new FitOptions { Epochs = 2, Callbacks = [deleter, snapshot] }));

        Assert.Equal(victim, ex.FilePath);
        Assert.Equal(ImageFileProblem.Unreadable, ex.Problem);
        Assert.Equal(5, model.GetOptimizer().Iterations); // batches 0–4 trained; the last batch holds the missing file
        Assert.Equal(afterLastGoodStep, TrainingTestData.Weights(model)); // the failing step changed nothing
        Assert.False(model.Module.training);
        Assert.All(TrainingTestData.Weights(model), w => Assert.True(float.IsFinite(w)));
        File.WriteAllBytes(victim, saved);
        Assert.Single(model.Fit(ds, new FitOptions { Epochs = 1 }).Epochs);
    }

    [Fact]
    public void Fit_CheckpointTargetIsADirectory_FailsAndLeavesNoTemporaryFile()
    {
        var target = _temp.Combine("checkpoints", "model.bin");
        Directory.CreateDirectory(target);
        using var model = TrainingTestData.TinyModel(6).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);

        Assert.ThrowsAny<IOException>(() => model.Fit(train, new FitOptions { Epochs = 2, Callbacks = [new ModelCheckpoint(target)] }));

        Assert.Equal([target], Directory.GetFileSystemEntries(_temp.Combine("checkpoints")));
        Assert.Empty(Directory.GetFileSystemEntries(target));
        Assert.False(model.Module.training);
        Assert.Single(model.Fit(train).Epochs);
    }

    [Fact]
    public void Fit_DiskFullOnSecondCheckpoint_FirstCheckpointIntactAndLoadable()
    {
        var path = _temp.Combine("model.safetensors");
        var epochOneWeights = Array.Empty<float>();
        var failing = new ModelCheckpoint(path)
        {
            Save = (m, stream) =>
            {
                var bytes = SaveToBytes(m);
                if (epochOneWeights.Length == 0)
                {
                    stream.Write(bytes);
                    epochOneWeights = TrainingTestData.Weights(m);
                    return;
                }

                stream.Write(bytes, 0, bytes.Length / 2);
                throw new IOException("No space left on device");
            },
        };
        using var model = TrainingTestData.TinyModel(7).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);

        var ex = Assert.Throws<IOException>(() => model.Fit(train, new FitOptions { Epochs = 3, Callbacks = [failing] }));

        Assert.Contains("No space left", ex.Message);
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
        using var restored = Model.Load(path);
        Assert.Equal(epochOneWeights, TrainingTestData.Weights(restored));
        Assert.NotEqual(epochOneWeights, TrainingTestData.Weights(model));
    }

    [Fact]
    public void Fit_CancelledMidEpoch_CheckpointHoldsTheLastCompletedEpoch()
    {
        var path = _temp.Combine("ckpt.safetensors");
        var checkpoint = new ModelCheckpoint(path) { Save = (m, stream) => stream.Write(SaveToBytes(m)) };
        using var cts = new CancellationTokenSource();
        var lastEpochWeights = Array.Empty<float>();
        var probe = new LambdaCallback
        {
            EpochEnd = e => lastEpochWeights = TrainingTestData.Weights(e.Model),
            BatchEnd = e => { if (checkpoint.LastSavedEpoch == 1 && e.Batch == 0) { cts.Cancel(); } },
        };
        using var model = TrainingTestData.TinyModel(8).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 2, 1);

        Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(train, new FitOptions { Epochs = 5, Callbacks = [checkpoint, probe] }, cts.Token));

        Assert.Equal(1, checkpoint.LastSavedEpoch);
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
        using var restored = Model.Load(path);
        Assert.Equal(lastEpochWeights, TrainingTestData.Weights(restored));
        Assert.Equal(9, model.GetOptimizer().Iterations); // two epochs of 4 steps, then one step of epoch 3
    }

    [Fact]
    public void Save_TargetIsADirectory_ThrowsAndLeavesNoTemporaryFile()
    {
        var target = _temp.Combine("model.safetensors");
        Directory.CreateDirectory(target);
        using var model = TrainingTestData.TinyModel(9);

        Assert.ThrowsAny<IOException>(() => model.Save(target));

        Assert.Equal([target], Directory.GetFileSystemEntries(_temp.Path));
    }

    private static byte[] SaveToBytes(Model model)
    {
        var directory = Directory.CreateTempSubdirectory("convviz-ckpt-");
        try
        {
            var file = Path.Combine(directory.FullName, "m.safetensors");
            model.Save(file);
            return File.ReadAllBytes(file);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>12 grayscale 4×4 images in two classes, file order, batches of 2 (6 per epoch), one worker prefetching one batch.</summary>
    private ImageFolderDataset GrayFolder(BadFilePolicy policy)
    {
        for (var i = 0; i < 6; i++)
        {
            TestImages.WriteSolidPng(_temp.Combine("data", "dark", $"{i:00}.png"), new Rgb24((byte)(20 + i), 20, 20), 4);
            TestImages.WriteSolidPng(_temp.Combine("data", "light", $"{i:00}.png"), new Rgb24((byte)(200 + i), 200, 200), 4);
        }

        return new ImageFolderDataset(new()
        {
            Directory = _temp.Combine("data"),
            Preprocessing = new() { TargetHeight = 4, TargetWidth = 4, ColorMode = ColorMode.Grayscale, Rescale = 1.0 / 255 },
            BatchSize = 2,
            Shuffle = false,
            PrefetchBatches = 1,
            BadFilePolicy = policy,
        });
    }
}
