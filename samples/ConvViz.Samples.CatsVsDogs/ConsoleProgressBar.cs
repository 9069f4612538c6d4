// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text;
using ConvViz.Training;

namespace ConvViz.Samples.CatsVsDogs;

/// <summary>
/// A Keras-like progress bar per epoch, fed by <see cref="FitOptions.Progress"/>. Reports arrive synchronously on the
/// training thread, so the bar is redrawn in place; when the output is redirected only the epoch lines are written.
/// </summary>
internal sealed class ConsoleProgressBar : IProgress<TrainingProgress>
{
    private const int BarWidth = 30;
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private int _lastEpoch = -1;

    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Epoch != _lastEpoch)
        {
            _lastEpoch = value.Epoch;
            Console.WriteLine($"Epoch {value.Epoch + 1}/{value.Epochs}");
        }

        switch (value.Phase)
        {
            case TrainingPhase.TrainingBatch when _interactive:
                Console.Write($"\r{Bar(value.Step, value.TotalSteps)} - ETA {value.EstimatedRemaining:m\\:ss}{Metrics(value.Metrics)}   ");
                break;
            case TrainingPhase.ValidationBatch when _interactive:
                Console.Write($"\r{Bar(value.TotalSteps, value.TotalSteps)} - validating {value.Step}/{value.TotalSteps}   ");
                break;
            case TrainingPhase.EpochEnd:
                var line = $"{Bar(value.Step, value.TotalSteps)} - {value.Elapsed.TotalSeconds:F0}s{Metrics(value.Metrics)}";
                Console.WriteLine(_interactive ? $"\r{line}{new string(' ', 20)}" : line);
                break;
        }
    }

    private static string Bar(int done, int total)
    {
        var filled = total == 0 ? BarWidth : done * BarWidth / total;
        var bar = new string('=', filled) + new string('.', BarWidth - filled);
        return string.Create(CultureInfo.InvariantCulture, $"{done,3}/{total} [{bar}]");
    }

    private static string Metrics(IReadOnlyDictionary<string, double> metrics)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in metrics)
        {
            text.Append(CultureInfo.InvariantCulture, $" - {name}: {value:F4}");
        }

        return text.ToString();
    }
}
