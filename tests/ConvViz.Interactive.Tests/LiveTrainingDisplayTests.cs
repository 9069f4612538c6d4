// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Training;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using static ConvViz.Interactive.Tests.TestHelpers;
using static TorchSharp.torch;

namespace ConvViz.Interactive.Tests;

/// <summary>Trains a small model for <c>epochs</c> epochs with validation, reporting to <c>progress</c> (also called from kernel code).</summary>
public static class TinyTraining
{
    public static TrainingHistory Run(IProgress<TrainingProgress> progress, int epochs = 2)
    {
        using var model = SmallModel(seed: 4);
        model.Compile(Loss.SparseCategoricalCrossentropy, OptimizerOptions.Adam(learningRate: 0.01), Metric.Accuracy);
        using var images = rand(24, 3, 16, 16, generator: new Generator(11));
        using var labels = tensor(Enumerable.Range(0, 24).Select(i => (long)(i % 2)).ToArray());
        using var train = new InMemoryDataset(images, labels, batchSize: 8, ClassMode.Sparse, shuffle: true, seed: 1, classNames: ["a", "b"]);
        using var validation = new InMemoryDataset(images, labels, batchSize: 12, ClassMode.Sparse, classNames: ["a", "b"]);
        return model.Fit(train, new FitOptions { Epochs = epochs, ValidationData = validation, Progress = progress, Seed = 3 });
    }
}

public sealed class LiveTrainingDisplayTests
{
    [Fact]
    public void Outside_a_notebook_it_collects_the_history_and_renders_the_chart()
    {
        var live = new LiveTrainingDisplay("test run", TimeSpan.Zero);
        Assert.Contains("Waiting for the first batch", Html(live));
        var history = TinyTraining.Run(live, epochs: 3);
        Assert.NotNull(live.History);
        Assert.Equal(3, live.History!.Count);
        Assert.Equal(history["loss"], live.History["loss"]);
        Assert.Equal(history["val_accuracy"], live.History["val_accuracy"]);

        // Interval zero: every report (3 epochs × (3 training + 2 validation batches + 1 epoch end)) updates.
        Assert.Equal(3 * (3 + 2 + 1), live.UpdateCount);
        var html = Html(live);
        Assert.Contains("Epoch <b>3/3</b>", html);
        Assert.Contains("epoch finished", html);
        var svg = Assert.Single(Svgs(html));
        Assert.Contains("data-metric=\"loss\"", svg);
        Assert.StartsWith("test run: Epoch 3/3", live.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_updates_are_throttled_but_every_epoch_end_updates()
    {
        var live = new LiveTrainingDisplay("throttled", TimeSpan.FromHours(1));
        TinyTraining.Run(live, epochs: 2);
        Assert.Equal(2, live.UpdateCount);
    }

    [Fact]
    public async Task In_a_kernel_it_keeps_one_output_and_updates_it()
    {
        using var kernel = new CompositeKernel { new CSharpKernel() };
        kernel.DefaultKernelName = "csharp";
        var references = new[] { typeof(Model), typeof(LiveTrainingDisplay), typeof(Tensor), typeof(TinyTraining) }
            .Select(t => $"#r \"{t.Assembly.Location}\"");
        var code = string.Join("\n", references) + """

            var live = new ConvViz.Interactive.LiveTrainingDisplay("kernel run", System.TimeSpan.Zero);
            ConvViz.Interactive.Tests.TinyTraining.Run(live, epochs: 2);
            live.UpdateCount
            """;
        var result = await kernel.SendAsync(new SubmitCode(code));
        Assert.DoesNotContain(result.Events, e => e is CommandFailed);
        var produced = Assert.Single(result.Events.OfType<DisplayedValueProduced>());
        var updates = result.Events.OfType<DisplayedValueUpdated>().ToList();
        var count = Assert.Single(result.Events.OfType<ReturnValueProduced>()).Value;
        Assert.Equal(2 * (3 + 2 + 1), count);
        Assert.Equal(2 * (3 + 2 + 1), updates.Count);
        Assert.All(updates, u => Assert.Equal(produced.ValueId, u.ValueId));
        Assert.Contains("Waiting for the first batch", produced.FormattedValues.Single(v => v.MimeType == "text/html").Value);
        var last = updates[^1].FormattedValues.Single(v => v.MimeType == "text/html").Value;
        Assert.Contains("Epoch <b>2/2</b>", last);
        Assert.Single(Svgs(last));
        Assert.Contains(updates[^1].FormattedValues, v => v.MimeType == "text/plain" && v.Value.StartsWith("kernel run: Epoch 2/2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_kernel_extension_registers_the_formatters_and_says_so()
    {
        using var kernel = new CompositeKernel { new CSharpKernel() };
        kernel.DefaultKernelName = "csharp";
        var code = $"#r \"{typeof(LiveTrainingDisplay).Assembly.Location}\"\n" +
            "await new ConvViz.Interactive.ConvVizKernelExtension().OnLoadAsync(Microsoft.DotNet.Interactive.Kernel.Root);\n" +
            "ConvViz.Interactive.NotebookFormatters.IsRegistered";
        var result = await kernel.SendAsync(new SubmitCode(code));
        Assert.DoesNotContain(result.Events, e => e is CommandFailed);
        var message = Assert.Single(result.Events.OfType<DisplayedValueProduced>());
        Assert.Contains(message.FormattedValues, v => v.MimeType == "text/markdown" && v.Value.Contains("LiveTrainingDisplay", StringComparison.Ordinal));
        Assert.Equal(true, Assert.Single(result.Events.OfType<ReturnValueProduced>()).Value);
    }
}
