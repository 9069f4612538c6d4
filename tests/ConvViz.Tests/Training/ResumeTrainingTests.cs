// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Tests.Data;
using ConvViz.Training;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

/// <summary>
/// The training state a model owns: an interrupted run (save with the training state, load, Fit with InitialEpoch)
/// ends with the same weights, bit for bit, as an uninterrupted one; the state follows the model's lifetime.
/// </summary>
public sealed class ResumeTrainingTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<int?, int?> Cursors => new()
    {
        { null, null }, // full passes: pass = epoch
        { 3, 2 },       // 3 of 4 training batches and 2 of 3 validation batches per epoch: the cursors carry over
    };

    [Theory]
    [MemberData(nameof(Cursors))]
    public void FourEpochsStraight_EqualTwoEpochs_SaveLoad_TwoMore_BitForBit(int? stepsPerEpoch, int? validationSteps)
    {
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            WriteImages();
            float[][] straight;
            long straightSteps;
            using (var train = Folder("train", 21))
            using (var validation = Folder("validation", 22))
            using (var model = NewModel())
            {
                model.Fit(train, Options(0, 4, stepsPerEpoch, validation, validationSteps));
                straight = Weights(model);
                straightSteps = model.GetOptimizer().Iterations;
            }

            var path = _temp.Combine("half.safetensors");
            using (var train = Folder("train", 21))
            using (var validation = Folder("validation", 22))
            using (var model = NewModel())
            {
                model.Fit(train, Options(0, 2, stepsPerEpoch, validation, validationSteps));
                model.Save(path, new ModelSaveOptions { IncludeTrainingState = true });
            }

            using (var train = Folder("train", 21))
            using (var validation = Folder("validation", 22))
            using (var model = Model.Load(path))
            {
                Assert.Equal(straightSteps / 2, model.GetOptimizer().Iterations);
                model.Fit(train, Options(2, 4, stepsPerEpoch, validation, validationSteps));
                Assert.Equal(straightSteps, model.GetOptimizer().Iterations);
                var resumed = Weights(model);
                Assert.Equal(straight.Length, resumed.Length);
                for (var i = 0; i < straight.Length; i++)
                {
                    Assert.Equal(straight[i], resumed[i]); // exact float equality, element by element
                }
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void ResumeWithoutTrainingState_DiffersFromStraightRun()
    {
        // The control for the test above: without the optimizer state the continuation is not the same run.
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            WriteImages();
            float[][] straight;
            using (var train = Folder("train", 21))
            using (var model = NewModel())
            {
                model.Fit(train, Options(0, 4, null, null, null));
                straight = Weights(model);
            }

            var path = _temp.Combine("weights-only.safetensors");
            using (var train = Folder("train", 21))
            using (var model = NewModel())
            {
                model.Fit(train, Options(0, 2, null, null, null));
                model.Save(path);
            }

            using (var train = Folder("train", 21))
            using (var model = Model.Load(path))
            {
                Assert.Equal(0, model.GetOptimizer().Iterations);
                model.Fit(train, Options(2, 4, null, null, null));
                Assert.NotEqual(straight[0], Weights(model)[0]);
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void Save_WithTrainingState_RoundTripsStepCountLearningRateAndMoments()
    {
        using var data = TrainingTestData.Brightness(16, 4, 3);
        using var model = TrainingTestData.TinyModel(7).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01));
        model.Fit(data, new FitOptions { Epochs = 2, Verbosity = TrainingVerbosity.Silent });
        model.GetOptimizer().LearningRate = 0.004; // as ReduceLROnPlateau would
        using var stream = new MemoryStream();
        model.Save(stream, new ModelSaveOptions { IncludeTrainingState = true });
        stream.Position = 0;
        using var loaded = Model.Load(stream);
        var original = model.TrainingState.Optimizer!;
        var restored = loaded.TrainingState.Optimizer!;
        Assert.Equal(8, restored.Iterations);
        Assert.Equal(0.004, restored.LearningRate);
        Assert.Equal(original.ParameterNames, restored.ParameterNames);
        for (var p = 0; p < original.Slots.Length; p++)
        {
            for (var s = 0; s < original.Slots[p].Length; s++)
            {
                Assert.Equal(original.Slots[p][s].data<float>().ToArray(), restored.Slots[p][s].data<float>().ToArray());
            }
        }

        Assert.Equal(new TrainingPosition(2, null, new CursorPosition(2, 0), null, null), loaded.TrainingState.Position);
    }

    [Fact]
    public void Save_WithTrainingStateBeforeAnyTraining_WritesNoState()
    {
        using var model = TrainingTestData.TinyModel(7).Compile(new CompileOptions());
        using var stream = new MemoryStream();
        model.Save(stream, new ModelSaveOptions { IncludeTrainingState = true });
        stream.Position = 0;
        using var loaded = Model.Load(stream);
        Assert.Null(loaded.TrainingState.Optimizer);
        Assert.Equal(0, loaded.GetOptimizer().Iterations);
    }

    [Fact]
    public void Compile_DiscardsTheState_AndDispose_FreesIt()
    {
        using var data = TrainingTestData.Brightness(8, 4, 3);
        var model = TrainingTestData.TinyModel(7).Compile(new CompileOptions());
        model.Fit(data, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });
        var state = model.TrainingState.Optimizer!;
        Assert.Equal(2, state.Iterations);
        model.Compile(new CompileOptions { Optimizer = OptimizerOptions.Sgd(0.1, momentum: 0.9) });
        Assert.True(state.IsDisposed);
        Assert.Null(model.TrainingState.Position);
        var optimizer = model.GetOptimizer();
        Assert.Equal(OptimizerKind.Sgd, optimizer.Kind);
        Assert.Equal(0, optimizer.Iterations);
        model.Dispose();
        Assert.True(optimizer.State.IsDisposed);
        Assert.Throws<ObjectDisposedException>(optimizer.Step);
    }

    [Fact]
    public void Fit_ResumingALoadedRunWithAnotherOptimizer_ThrowsNamingBothAndTheFix()
    {
        using var data = TrainingTestData.Brightness(8, 4, 3);
        using var stream = SavedAfterOneEpoch(data, OptimizerOptions.Adamax(0.01));
        using var loaded = Model.Load(stream);
        loaded.Compile(new CompileOptions { Optimizer = OptimizerOptions.Adam(0.01) });
        var before = Weights(loaded);

        var ex = Assert.Throws<InvalidOperationException>(() => loaded.Fit(data, new FitOptions { InitialEpoch = 1, Epochs = 2, Verbosity = TrainingVerbosity.Silent }));

        Assert.Contains("Adamax", ex.Message);
        Assert.Contains("compiled again with Adam", ex.Message);
        Assert.Contains("InitialEpoch = 0", ex.Message);
        Assert.Equal(before, Weights(loaded)); // nothing trained
        Assert.Equal(0, loaded.GetOptimizer().Iterations);

        // The fix it names: a new run from epoch 0 with the new optimizer trains.
        loaded.Fit(data, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });
        Assert.Equal(2, loaded.GetOptimizer().Iterations);
    }

    [Fact]
    public void Fit_ResumingALoadedRun_WithoutRecompiling_ContinuesItsOptimizer_AndRecompilingTheSameOptimizerOnlyWarns()
    {
        using var data = TrainingTestData.Brightness(8, 4, 3);
        using var stream = SavedAfterOneEpoch(data, OptimizerOptions.Adamax(0.01));
        using (var loaded = Model.Load(stream))
        {
            loaded.Fit(data, new FitOptions { InitialEpoch = 1, Epochs = 2, Verbosity = TrainingVerbosity.Silent });
            Assert.Equal(4, loaded.GetOptimizer().Iterations);
        }

        stream.Position = 0;
        using var recompiled = Model.Load(stream);
        recompiled.Compile(new CompileOptions { Optimizer = OptimizerOptions.Adamax(0.01) });
        var logger = new ListLogger();
        recompiled.Fit(data, new FitOptions { InitialEpoch = 1, Epochs = 2, Verbosity = TrainingVerbosity.Silent, Logger = logger });
        Assert.Equal(2, recompiled.GetOptimizer().Iterations); // Keras: compiling again starts a fresh optimizer
        var warning = Assert.Single(logger.Warnings);
        Assert.Contains("discarded its Adamax state (2 steps)", warning);
        Assert.Contains("do not compile the loaded model again", warning);
    }

    private static MemoryStream SavedAfterOneEpoch(IBatchSource data, OptimizerOptions optimizer)
    {
        using var model = TrainingTestData.TinyModel(7).Compile(new CompileOptions { Optimizer = optimizer });
        model.Fit(data, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });
        var stream = new MemoryStream();
        model.Save(stream, new ModelSaveOptions { IncludeTrainingState = true });
        stream.Position = 0;
        return stream;
    }

    [Fact]
    public void To_SameDevice_KeepsTheState()
    {
        using var data = TrainingTestData.Brightness(8, 4, 3);
        using var model = TrainingTestData.TinyModel(7).Compile(new CompileOptions());
        model.Fit(data, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });
        var before = model.TrainingState.Optimizer!;
        model.To(ComputeDevice.Cpu);
        Assert.Same(before, model.TrainingState.Optimizer);
        Assert.Equal(model.TrainableParameters().Select(p => p.Parameter.Handle), before.Parameters.Select(p => p.Handle));
    }

    [Fact]
    public void Load_FileWrittenBeforeTrainingStateExisted_LoadsWithoutState()
    {
        // Written by ConvViz at commit 4ca4c0f (before training state existed): Flatten → Dense(3, ReLU) → Dense(2,
        // Softmax) on 2×2×1, compiled with Adamax(0.01), trained one epoch, class names a, b.
        var path = Path.Combine(AppContext.BaseDirectory, "TestAssets", "Models", "model-v1-no-training-state.safetensors");
        using var model = Model.Load(path);
        Assert.Equal(["a", "b"], model.ClassNames);
        Assert.Equal(OptimizerKind.Adamax, model.Compilation!.Optimizer.Kind);
        Assert.Null(model.TrainingState.Optimizer);
        Assert.Null(model.TrainingState.Position);
        using var elementCount = Scalars.Create(32);
        using var images = arange(Scalars.Zero, elementCount, Scalars.One, ScalarType.Float32).reshape(8, 1, 2, 2).div(elementCount);
        using var predictions = model.Predict(images);
        // Printed on another CPU: float32 matrix products round differently with each CPU's vector kernels, so the
        // values agree to float32 rounding (2^-23 relative, a few 1e-8 here), not bit for bit.
        var actual = predictions.data<float>().ToArray();
        Assert.Equal(OldModelPredictions.Length, actual.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            Assert.Equal(OldModelPredictions[i], actual[i], 1e-6f);
        }

        // It trains on from a fresh optimizer.
        using var labels = nn.functional.one_hot(tensor(new long[] { 0, 1, 0, 1, 0, 1, 0, 1 }), 2).to_type(ScalarType.Float32);
        using var data = new InMemoryDataset(images, labels, 4, ClassMode.Categorical, false, 1, ["a", "b"]);
        model.Fit(data, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });
        Assert.Equal(2, model.GetOptimizer().Iterations);
    }

    /// <summary>What the writing program printed for the old file's predictions (float32, round-trip format).</summary>
    private static readonly float[] OldModelPredictions =
        [0.49317262f, 0.50682735f, 0.45020187f, 0.5497981f, 0.40796152f, 0.59203845f, 0.36703855f, 0.63296145f, 0.32794675f, 0.6720533f, 0.29110363f, 0.7088964f, 0.25681785f, 0.7431822f, 0.22528695f, 0.7747131f];

    private void WriteImages()
    {
        if (Directory.Exists(_temp.Combine("train")))
        {
            return;
        }

        var random = new Random(11);
        foreach (var (split, count) in new[] { ("train", 14), ("validation", 9) })
        {
            for (var i = 0; i < count; i++)
            {
                var dark = i % 2 == 0;
                var image = TestImages.Solid(8, 8, dark ? new Rgb24(40, 40, 40) : new Rgb24(200, 200, 200));
                for (var y = 0; y < 8; y++)
                {
                    for (var x = 0; x < 4; x++)
                    {
                        var v = (byte)random.Next(256);
                        image[x, y] = new Rgb24(v, v, v);
                    }
                }

                TestImages.SavePng(image, _temp.Combine(split, dark ? "dark" : "light", $"{i:00}.png"));
            }
        }
    }

    private ImageFolderDataset Folder(string split, int seed) => new(new()
    {
        Directory = _temp.Combine(split),
        Preprocessing = new() { TargetHeight = 8, TargetWidth = 8, ColorMode = ColorMode.Grayscale, Rescale = 1.0 / 255 },
        BatchSize = 4,
        Shuffle = true,
        Seed = seed,
        Augmenter = new Augmenter(new AugmentationOptions { RotationRange = 20, WidthShiftRange = 0.2, HorizontalFlip = true }),
    });

    private static Model NewModel() =>
        new SequentialBuilder(8, 8, 1)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddBatchNormalization()
            .AddMaxPooling2D(2)
            .AddFlatten()
            .AddDropout(0.3)
            .AddDense(2, Activation.Softmax)
            .WithSeed(17)
            .Build()
            .Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adamax(0.01), Metric.Accuracy);

    private static FitOptions Options(int initialEpoch, int epochs, int? stepsPerEpoch, IBatchSource? validation, int? validationSteps) => new()
    {
        InitialEpoch = initialEpoch,
        Epochs = epochs,
        StepsPerEpoch = stepsPerEpoch,
        ValidationData = validation,
        ValidationSteps = validation is null ? null : validationSteps,
        Seed = 5,
        Verbosity = TrainingVerbosity.Silent,
    };

    private static float[][] Weights(Model model)
    {
        using var scope = NewDisposeScope();
        return model.Module.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Value.detach().cpu().contiguous().data<float>().ToArray()).ToArray();
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
