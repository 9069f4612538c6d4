// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using System.Text;
using ConvViz.Training;
using ConvViz.Visualization;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace ConvViz.Interactive;

/// <summary>
/// A live training display for notebooks, R keras' <c>view_metrics</c>: pass it as <see cref="FitOptions.Progress"/>
/// and one output under the cell is updated as <c>Fit</c> runs, with the epoch, the batch, the running metrics and a
/// chart of the finished epochs that grows after each one.
/// </summary>
/// <remarks>
/// The output is created when the display is constructed (in the cell that calls <c>Fit</c>); outside a notebook
/// nothing is shown and the display only collects <see cref="History"/>. Batch reports update the output at most
/// every <see cref="MinimumInterval"/>; every epoch end updates it. Reports must come from one <c>Fit</c> at a time.
/// </remarks>
public sealed class LiveTrainingDisplay : IProgress<TrainingProgress>
{
    private readonly Lock _gate = new();
    private readonly Stopwatch _sinceUpdate = Stopwatch.StartNew();
    private readonly Stopwatch _total = new();
    private readonly DisplayedValue? _displayed;
    private TrainingHistory? _history;
    private TrainingProgress? _last;
    private int _updates;

    /// <summary>Creates the display and, in a notebook, its output under the current cell.</summary>
    /// <param name="title">The title above the chart.</param>
    /// <param name="minimumInterval">The shortest time between two batch updates, or <see langword="null"/> for 0.5 s.</param>
    public LiveTrainingDisplay(string title = "Training", TimeSpan? minimumInterval = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
        MinimumInterval = minimumInterval ?? TimeSpan.FromSeconds(0.5);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinimumInterval, TimeSpan.Zero, nameof(minimumInterval));
        NotebookFormatters.Register();
        if (KernelInvocationContext.Current is { } context)
        {
            _displayed = context.Display(this, "text/html", "text/plain");
        }
    }

    /// <summary>Gets the title above the chart.</summary>
    public string Title { get; }

    /// <summary>Gets the shortest time between two updates caused by batch reports.</summary>
    public TimeSpan MinimumInterval { get; }

    /// <summary>Gets the epochs finished so far, or <see langword="null"/> before the first one ends.</summary>
    public TrainingHistory? History
    {
        get
        {
            lock (_gate)
            {
                return _history;
            }
        }
    }

    /// <summary>Gets how many times the notebook output was updated.</summary>
    public int UpdateCount
    {
        get
        {
            lock (_gate)
            {
                return _updates;
            }
        }
    }

    /// <summary>Takes one report of <c>Fit</c>: updates the output at an epoch end, and for batches when <see cref="MinimumInterval"/> has passed.</summary>
    /// <param name="value">The report.</param>
    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        bool update;
        lock (_gate)
        {
            _total.Start();
            _last = value;
            if (value.Phase == TrainingPhase.EpochEnd)
            {
                _history ??= new TrainingHistory(value.Epoch, value.Epochs, value.TotalSteps);
                _history.Add(value.Epoch, value.Metrics, double.NaN, value.Elapsed);
                update = true;
            }
            else
            {
                update = _sinceUpdate.Elapsed >= MinimumInterval;
            }

            if (update)
            {
                _sinceUpdate.Restart();
                _updates++;
            }
        }

        if (update)
        {
            _displayed?.Update(this);
        }
    }

    /// <summary>Returns the progress line of the last report.</summary>
    /// <returns>For example <c>Training: Epoch 2/3 8/8 - ETA: 0s - loss: 0.6931 - accuracy: 0.5000</c>.</returns>
    public override string ToString()
    {
        lock (_gate)
        {
            return _last is null ? $"{Title}: waiting for the first batch" : $"{Title}: {_last}";
        }
    }

    internal string ToHtml()
    {
        TrainingProgress? last;
        TrainingHistory? history;
        lock (_gate)
        {
            last = _last;
            history = _history;
        }

        var body = new StringBuilder();
        body.Append(Html.Heading(Title));
        if (last is null)
        {
            body.Append(Html.Note("Waiting for the first batch…"));
            return Html.Box(body.ToString(), "live-training");
        }

        var phase = last.Phase switch
        {
            TrainingPhase.TrainingBatch => "training",
            TrainingPhase.ValidationBatch => "validation",
            _ => "epoch finished",
        };
        var done = last.TotalSteps == 0 ? 1.0 : Math.Clamp(last.Step / (double)last.TotalSteps, 0, 1);
        body.Append(CultureInfo.InvariantCulture, $"<div class=\"status\">Epoch <b>{last.Epoch + 1}/{last.Epochs}</b> · {phase} batch <b>{last.Step}/{last.TotalSteps}</b> · {last.Elapsed.TotalSeconds:0.0} s");
        if (last.Phase != TrainingPhase.EpochEnd)
        {
            body.Append(CultureInfo.InvariantCulture, $" · ETA {last.EstimatedRemaining.TotalSeconds:0} s");
        }

        body.Append("</div>");
        body.Append(CultureInfo.InvariantCulture, $"<div style=\"background:#eee;height:6px;width:100%;margin:4px 0\"><div class=\"bar\" style=\"background:#F8766D;height:6px;width:{done * 100:0.#}%\"></div></div>");
        body.Append(Html.Note(string.Join(" · ", last.Metrics.Select(kv => $"{kv.Key} {Html.Number(kv.Value)}"))));
        if (history is { Count: > 0 })
        {
            var svg = HistoryPlot.ToSvg(history, new HistoryPlotOptions { Width = 640, PanelHeight = 180 });
            body.Append(Html.SvgImg(svg, "training history so far"));
        }

        return Html.Box(body.ToString(), "live-training");
    }
}
