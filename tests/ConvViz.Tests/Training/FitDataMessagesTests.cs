// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Tests.Data;
using ConvViz.Training;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Training;

/// <summary>When Fit prints progress, it prints the datasets' "Found …" lines and skipped-file warnings, as Keras does.</summary>
public sealed class FitDataMessagesTests : IDisposable
{
    private static readonly ImagePreprocessing Gray4 = new() { TargetHeight = 4, TargetWidth = 4, ColorMode = ColorMode.Grayscale, Rescale = 1.0 / 255 };
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fit_PrintingProgress_PrintsFoundLinesOnceAtTheStart_AndSkippedFileWarnings()
    {
        var train = Folder("train", good: 3, bad: 1);
        var validation = Folder("validation", good: 2, bad: 0);
        using var trainData = new ImageFolderDataset(new() { Directory = train, Preprocessing = Gray4, BatchSize = 2, Seed = 1, BadFilePolicy = BadFilePolicy.Skip });
        using var validationData = new ImageFolderDataset(new() { Directory = validation, Preprocessing = Gray4, BatchSize = 2, Seed = 1 });
        Assert.Equal("Found 8 images belonging to 2 classes.", trainData.FoundMessage);
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        using var writer = new StringWriter();

        model.Fit(trainData, new FitOptions { Epochs = 2, ValidationData = validationData, ProgressWriter = writer, Verbosity = TrainingVerbosity.OneLinePerEpoch });

        var lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Found 8 images belonging to 2 classes.", lines[0]);
        Assert.Equal("Found 4 images belonging to 2 classes.", lines[1]);
        Assert.Equal(2, lines.Count(l => l.StartsWith("Found ", StringComparison.Ordinal)));
        var warnings = lines.Where(l => l.StartsWith("Warning: Skipping image: ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, warnings.Length); // one bad file per class folder, each warned once
        Assert.All(warnings, w => Assert.Contains("bad", w, StringComparison.Ordinal));
        Assert.True(Array.FindIndex(lines, l => l.StartsWith("Warning:", StringComparison.Ordinal)) < Array.FindIndex(lines, l => l.StartsWith("Epoch 1/2", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l.StartsWith("Epoch ", StringComparison.Ordinal)));

        // A second fit lists the files skipped before it above the Found line.
        using var again = new StringWriter();
        model.Fit(trainData, new FitOptions { ProgressWriter = again, Verbosity = TrainingVerbosity.ProgressBar });
        var second = again.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Warning: Skipping image: ", second[0], StringComparison.Ordinal);
        Assert.StartsWith("Warning: Skipping image: ", second[1], StringComparison.Ordinal);
        Assert.Equal("Found 8 images belonging to 2 classes.", second[2]); // the line as Keras gives it: files found, not files that decoded
    }

    [Fact]
    public void Fit_SilentOrReplacedByAProgressReceiver_PrintsNothing()
    {
        var train = Folder("train", good: 2, bad: 1);
        using var data = new ImageFolderDataset(new() { Directory = train, Preprocessing = Gray4, BatchSize = 2, Seed = 1, BadFilePolicy = BadFilePolicy.Skip });
        using var model = TrainingTestData.TinyModel(3).Compile(new CompileOptions());
        using var writer = new StringWriter();
        var reports = 0;

        model.Fit(data, new FitOptions { ProgressWriter = writer, Verbosity = TrainingVerbosity.Silent });
        model.Fit(data, new FitOptions { ProgressWriter = writer, Progress = new Sync(_ => reports++) });

        Assert.Equal(string.Empty, writer.ToString());
        Assert.True(reports > 0);
        Assert.Equal(2, data.SkippedFiles.Count);
    }

    private string Folder(string name, int good, int bad)
    {
        foreach (var cls in (string[])["cats", "dogs"])
        {
            Directory.CreateDirectory(_temp.Combine(name, cls));
            for (var i = 0; i < good; i++)
            {
                TestImages.WriteSolidPng(_temp.Combine(name, cls, $"{cls}{i}.png"), new Rgb24((byte)(40 * i), 90, 200), 4);
            }

            for (var i = 0; i < bad; i++)
            {
                File.WriteAllBytes(_temp.Combine(name, cls, $"bad{i}.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
            }
        }

        return _temp.Combine(name);
    }

    private sealed class Sync(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
