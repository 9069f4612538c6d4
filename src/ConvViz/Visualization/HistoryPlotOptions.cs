// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>Settings of <see cref="HistoryPlot"/>, the SVG version of R's <c>plot(history)</c>.</summary>
public sealed record HistoryPlotOptions
{
    /// <summary>Gets the width of the chart in pixels.</summary>
    /// <value>The default value is 640.</value>
    public int Width { get; init { ArgumentOutOfRangeException.ThrowIfLessThan(value, 200); field = value; } } = 640;

    /// <summary>Gets the height of one metric panel in pixels.</summary>
    /// <value>The default value is 240.</value>
    public int PanelHeight { get; init { ArgumentOutOfRangeException.ThrowIfLessThan(value, 100); field = value; } } = 240;

    /// <summary>
    /// Gets the metrics to draw, one panel each (names without the <c>val_</c> prefix, such as <c>loss</c> and
    /// <c>accuracy</c>), or <see langword="null"/> for every metric of the history in its order.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<string>? Metrics { get; init { field = value?.ToArray(); } }

    /// <summary>Gets a title drawn above the panels, or <see langword="null"/> for none.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Title { get; init; }

    /// <summary>Gets the colour of the training series (any SVG colour).</summary>
    /// <value>The default value is <c>#F8766D</c>, ggplot2's first colour as in R's plot.</value>
    public string TrainingColor { get; init { ArgumentException.ThrowIfNullOrWhiteSpace(value); field = value; } } = "#F8766D";

    /// <summary>Gets the colour of the validation series (any SVG colour).</summary>
    /// <value>The default value is <c>#00BFC4</c>, ggplot2's second colour.</value>
    public string ValidationColor { get; init { ArgumentException.ThrowIfNullOrWhiteSpace(value); field = value; } } = "#00BFC4";
}
