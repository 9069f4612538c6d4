// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace ConvViz.Training;

/// <summary>
/// Keras' console progress for <c>Fit</c> and <c>Evaluate</c>: an "Epoch 3/30" heading, then either a bar redrawn in
/// place after every batch (<c>12/50 [=======&gt;......] - ETA: 4s - loss: 0.6931 - accuracy: 0.5000</c>) that ends in
/// the epoch's time and metrics, or, for logs, only that final line. <c>Fit</c> uses one by default (see
/// <see cref="FitOptions.Verbosity"/>); create one to combine it with your own <see cref="FitOptions.Progress"/>
/// receiver or to write somewhere else.
/// </summary>
/// <remarks>Reports arrive on the training thread; one reporter serves one run at a time.</remarks>
public sealed class ConsoleProgressReporter : IProgress<TrainingProgress>
{
    private const int BarWidth = 30;
    private readonly TextWriter _writer;
    private readonly bool _bar;
    private int _lastEpoch = -1;
    private int _lastWidth;

    /// <summary>Lines from other threads (skipped-file warnings of the data workers), written on the next report.</summary>
    private readonly ConcurrentQueue<string> _pending = new();

    /// <summary>Creates a reporter.</summary>
    /// <param name="writer">Where to write, or <see langword="null"/> for <see cref="Console.Out"/>.</param>
    /// <param name="verbosity">
    /// <see cref="TrainingVerbosity.ProgressBar"/> or <see cref="TrainingVerbosity.OneLinePerEpoch"/>;
    /// <see cref="TrainingVerbosity.Auto"/> picks the bar when <paramref name="writer"/> is the console and the
    /// console output is not redirected, and one line per epoch otherwise.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="verbosity"/> is <see cref="TrainingVerbosity.Silent"/> or not a member.</exception>
    public ConsoleProgressReporter(TextWriter? writer = null, TrainingVerbosity verbosity = TrainingVerbosity.Auto)
    {
        if (verbosity is not (TrainingVerbosity.Auto or TrainingVerbosity.ProgressBar or TrainingVerbosity.OneLinePerEpoch))
        {
            throw new ArgumentOutOfRangeException(nameof(verbosity), verbosity, "A progress reporter draws a ProgressBar or OneLinePerEpoch (or Auto to choose); for no output pass no reporter.");
        }

        _writer = writer ?? Console.Out;
        _bar = verbosity == TrainingVerbosity.ProgressBar
            || (verbosity == TrainingVerbosity.Auto && writer is null && !Console.IsOutputRedirected);
    }

    /// <summary>Gets a value indicating whether the bar is redrawn after every batch (otherwise one line per epoch is written).</summary>
    public bool DrawsBar => _bar;

    /// <inheritdoc/>
    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WritePending();
        if (value.Epoch != _lastEpoch)
        {
            _lastEpoch = value.Epoch;
            _lastWidth = 0;
            if (_bar)
            {
                _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {value.Epoch + 1}/{value.Epochs}"));
            }
        }

        switch (value.Phase)
        {
            case TrainingPhase.TrainingBatch when _bar:
                Redraw(string.Create(CultureInfo.InvariantCulture, $"{Bar(value.Step, value.TotalSteps)} - ETA: {Seconds(value.EstimatedRemaining)}{Metrics(value.Metrics)}"));
                break;
            case TrainingPhase.ValidationBatch when _bar:
                Redraw(string.Create(CultureInfo.InvariantCulture, $"{Bar(value.TotalSteps, value.TotalSteps)} - validating {value.Step}/{value.TotalSteps}"));
                break;
            case TrainingPhase.EpochEnd:
                var perStep = value.TotalSteps > 0 ? value.Elapsed.TotalMilliseconds / value.TotalSteps : 0;
                var timing = string.Create(CultureInfo.InvariantCulture, $"{Seconds(value.Elapsed)} {perStep:0}ms/step{Metrics(value.Metrics)}");
                if (_bar)
                {
                    Redraw($"{Bar(value.Step, value.TotalSteps)} - {timing}");
                    _writer.WriteLine();
                    _lastWidth = 0;
                }
                else
                {
                    _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {value.Epoch + 1}/{value.Epochs} - {value.Step}/{value.TotalSteps} - {timing}"));
                }

                break;
        }

        _writer.Flush();
    }

    /// <summary>Queues a line from any thread; it is written before the next progress line (see <see cref="WritePending"/>).</summary>
    /// <param name="line">The line.</param>
    internal void Enqueue(string line) => _pending.Enqueue(line);

    /// <summary>Writes a whole line of its own (a dataset's "Found …" line, a warning), ending a bar drawn so far.</summary>
    /// <param name="line">The line.</param>
    internal void WriteLine(string line)
    {
        if (_lastWidth > 0)
        {
            _writer.WriteLine();
            _lastWidth = 0;
        }

        _writer.WriteLine(line);
    }

    /// <summary>Writes the queued lines, on the thread that reports progress.</summary>
    internal void WritePending()
    {
        var any = false;
        while (_pending.TryDequeue(out var line))
        {
            WriteLine(line);
            any = true;
        }

        if (any)
        {
            _writer.Flush();
        }
    }

    /// <summary>Rewrites the current line, blanking what is left of a longer previous one.</summary>
    private void Redraw(string line)
    {
        var padding = Math.Max(0, _lastWidth - line.Length);
        _writer.Write('\r');
        _writer.Write(line);
        _writer.Write(new string(' ', padding));
        _lastWidth = line.Length;
    }

    private static string Bar(int done, int total)
    {
        var filled = total <= 0 ? BarWidth : Math.Clamp(done * BarWidth / total, 0, BarWidth);
        var head = filled is > 0 and < BarWidth ? ">" : string.Empty;
        var bar = new string('=', filled - head.Length) + head + new string('.', BarWidth - filled);
        var width = total.ToString(CultureInfo.InvariantCulture).Length;
        return string.Create(CultureInfo.InvariantCulture, $"{done.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{total} [{bar}]");
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds < 60
        ? string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:0}s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalMinutes}:{time.Seconds:00}");

    private static string Metrics(IReadOnlyDictionary<string, double> metrics)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in metrics)
        {
            if (name == TrainingHistory.LearningRateKey)
            {
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $" - {name}: {value:0.0000}");
        }

        return text.ToString();
    }
}
