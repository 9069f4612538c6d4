// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Tests.Data;
using ConvViz.Training;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using Xunit.Abstractions;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// The soak run of issue 9: 50 epochs of the full pipeline (image folder with a bad file, augmentation-free decoding
/// workers, a small CNN, validation, checkpoints) while sampling process memory and the process-wide count of live native tensors. Not part of
/// CI (about a minute): run it with <c>eng/soak.sh</c>, which selects <c>Category=Soak</c>; CI excludes that category.
/// </summary>
[Trait("Category", "Soak")]
public sealed class SoakTests(ITestOutputHelper output) : IDisposable
{
    private const int Epochs = 50;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fit_FiftyEpochs_MemoryFlatAndNativeTensorsZeroSum()
    {
        var random = new Random(50);
        for (var i = 0; i < 48; i++)
        {
            var dark = (byte)random.Next(0, 90);
            var light = (byte)random.Next(160, 256);
            TestImages.WriteSolidPng(_temp.Combine("data", "dark", $"{i:00}.png"), new Rgb24(dark, dark, dark), 24);
            TestImages.WriteSolidPng(_temp.Combine("data", "light", $"{i:00}.png"), new Rgb24(light, light, light), 24);
        }

        File.WriteAllBytes(_temp.Combine("data", "light", "broken.png"), [0x89, 0x50, 0x4E, 0x47]);
        var preprocessing = new ImagePreprocessing { TargetHeight = 24, TargetWidth = 24, Rescale = 1.0 / 255 };
        using var train = new ImageFolderDataset(new() { Directory = _temp.Combine("data"), Preprocessing = preprocessing, BatchSize = 8, Seed = 1, BadFilePolicy = BadFilePolicy.Skip, ValidationSplit = 0.25, Subset = DatasetSubset.Training });
        using var validation = new ImageFolderDataset(new() { Directory = _temp.Combine("data"), Preprocessing = preprocessing, BatchSize = 8, Seed = 1, BadFilePolicy = BadFilePolicy.Skip, ValidationSplit = 0.25, Subset = DatasetSubset.Validation });
        using var model = new SequentialBuilder(24, 24, 3).WithSeed(5)
            .AddConv2D(8, 3, Activation.ReLU).AddMaxPooling2D(2)
            .AddConv2D(16, 3, Activation.ReLU).AddMaxPooling2D(2)
            .AddFlatten().AddDense(32, Activation.ReLU).AddDropout(0.2).AddDense(2, Activation.Softmax)
            .Build()
            .Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.001), Metric.Accuracy);
        var checkpoint = new ModelCheckpoint(_temp.Combine("ckpt.safetensors")) { Save = (m, stream) => stream.Write(SaveToBytes(m)) };
        var rss = new List<long>();
        var live = new List<long>();
        var process = Process.GetCurrentProcess();
        var sampler = new LambdaCallback
        {
            EpochEnd = e =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                process.Refresh();
                rss.Add(process.WorkingSet64);
                live.Add(torch.Tensor.TotalCount);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch + 1,2}: rss {process.WorkingSet64 / 1048576.0,7:F1} MiB, live tensors {live[^1]}, loss {e.Logs["loss"]:F4}, val_loss {e.Logs["val_loss"]:F4}"));
            },
        };
        var liveBefore = torch.Tensor.TotalCount;
        var clock = Stopwatch.StartNew();

        var history = model.Fit(train, new FitOptions { Epochs = Epochs, ValidationData = validation, Callbacks = [checkpoint, sampler] });

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var liveAfter = torch.Tensor.TotalCount;
        var warm = rss.Skip(10).ToArray();
        var growth = (warm[^1] - warm[0]) / 1048576.0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Epochs} epochs in {clock.Elapsed.TotalSeconds:F1} s; rss epoch 11 → 50: {warm[0] / 1048576.0:F1} → {warm[^1] / 1048576.0:F1} MiB ({growth:+0.0;-0.0} MiB), max {rss.Max() / 1048576.0:F1} MiB; live tensors before Fit {liveBefore}, at every epoch end {string.Join('/', live.Distinct())}, after Fit {liveAfter}; skipped files {train.SkippedFiles.Count + validation.SkippedFiles.Count}"));

        Assert.Equal(Epochs, history.Epochs.Count);
        // Process-wide live tensors: the same at every epoch end and after Fit (weights plus the optimizer state created at
        // the first step); batches, activations and gradients made on any thread are all freed.
        Assert.Single(live.Distinct());
        Assert.Equal(live[0], liveAfter);
        Assert.True(growth < 32, $"Process memory grew {growth:F1} MiB between epoch 11 and epoch {Epochs}.");
        Assert.Equal(1, train.SkippedFiles.Count + validation.SkippedFiles.Count);
        Assert.True(history["val_accuracy"][^1] > 0.9);
        using var restored = Model.Load(checkpoint.LastSavedPath!);
        Assert.Equal(model.ParameterCount, restored.ParameterCount);
    }

    private static byte[] SaveToBytes(Model model)
    {
        var directory = Directory.CreateTempSubdirectory("convviz-soak-");
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
}
