// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Xml.Linq;
using ConvViz.Training;

namespace ConvViz.Visualization;

/// <summary>
/// Draws a <see cref="TrainingHistory"/> as an SVG chart like R's <c>plot(history)</c>: one panel per metric, the
/// training and validation series in each, real (1-based) epoch numbers on the x axis, axes with ticks and labels, and a legend.
/// </summary>
/// <remarks>
/// Unlike R, the x axis shows the epochs that actually ran: after <c>initial_epoch = 5</c> the first point is at epoch 6,
/// not 1. Missing (NaN) values leave a gap. The output is deterministic (invariant culture, no timestamps).
/// </remarks>
public static class HistoryPlot
{
    private const double MarginLeft = 64;
    private const double MarginRight = 16;
    private const double PanelTop = 24;
    private const double PanelBottom = 40;
    private const double LegendHeight = 28;
    private const double TitleHeight = 28;
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    /// <summary>Renders the chart.</summary>
    /// <param name="history">The history.</param>
    /// <param name="options">The settings, or <see langword="null"/> for the defaults.</param>
    /// <returns>The SVG document text.</returns>
    /// <exception cref="ArgumentException">The history has no epochs, or a requested metric is not in it.</exception>
    public static string ToSvg(TrainingHistory history, HistoryPlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        options ??= new HistoryPlotOptions();
        if (history.Count == 0)
        {
            throw new ArgumentException("The history has no epochs to plot.", nameof(history));
        }

        var metrics = options.Metrics ?? history.Keys.Select(BaseName).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var metric in metrics)
        {
            if (!history.Contains(metric) && !history.Contains("val_" + metric))
            {
                throw new ArgumentException($"The history has no metric '{metric}'. It has: {string.Join(", ", history.Keys)}.", nameof(options));
            }
        }

        var epochs = history.Epochs.Select(e => (double)(e + 1)).ToArray();
        var top = options.Title is null ? 0 : TitleHeight;
        var height = top + (metrics.Count * options.PanelHeight) + LegendHeight;
        var root = new XElement(
            s_svg + "svg",
            new XAttribute("width", Format(options.Width)),
            new XAttribute("height", Format(height)),
            new XAttribute("viewBox", $"0 0 {Format(options.Width)} {Format(height)}"),
            new XAttribute("font-family", "sans-serif"),
            new XAttribute("font-size", "11"),
            new XElement(s_svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white")));
        if (options.Title is { } title)
        {
            root.Add(Text(options.Width / 2.0, 18, title, "title", "middle", ("font-size", "14"), ("font-weight", "bold")));
        }

        var anyValidation = false;
        for (var i = 0; i < metrics.Count; i++)
        {
            var metric = metrics[i];
            var validationKey = "val_" + metric;
            anyValidation |= history.Contains(validationKey);
            root.Add(Panel(
                metric,
                epochs,
                history.Contains(metric) ? history[metric] : null,
                history.Contains(validationKey) ? history[validationKey] : null,
                options,
                top + (i * options.PanelHeight)));
        }

        root.Add(Legend(options, top + (metrics.Count * options.PanelHeight), anyValidation));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root.ToString(SaveOptions.None) + "\n";
    }

    /// <summary>Writes the chart to an SVG file (UTF-8), replacing it.</summary>
    /// <param name="history">The history.</param>
    /// <param name="path">The file path; it must end in <c>.svg</c> (the chart is SVG text, never PNG or another raster format).</param>
    /// <param name="options">The settings, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The path does not end in <c>.svg</c>; the history has no epochs, or a requested metric is not in it.</exception>
    public static void Save(TrainingHistory history, string path, HistoryPlotOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var extension = Path.GetExtension(path);
        if (!string.Equals(extension, ".svg", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                $"HistoryPlot writes SVG, so the file must end in .svg; '{path}' " +
                (extension.Length == 0 ? "has no extension" : $"ends in {extension}") +
                $" and would hold SVG text under a wrong name. Use '{Path.ChangeExtension(path, ".svg")}' (a browser or any image viewer with SVG support opens it), " +
                "or HistoryPlot.ToSvg for the text.",
                nameof(path));
        }

        AtomicFile.WriteText(path, ToSvg(history, options));
    }

    /// <summary>Writes the history's chart to an SVG file: the counterpart of R's <c>plot(history)</c>.</summary>
    /// <param name="history">The history.</param>
    /// <param name="path">The file path; it must end in <c>.svg</c>.</param>
    /// <param name="options">The settings, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The path does not end in <c>.svg</c>; the history has no epochs, or a requested metric is not in it.</exception>
    public static void Plot(this TrainingHistory history, string path, HistoryPlotOptions? options = null) => Save(history, path, options);

    /// <summary>Returns tick values covering [min, max] at a 1-2-5 step aiming at about <paramref name="target"/> ticks.</summary>
    internal static double[] NiceTicks(double min, double max, int target, double minimumStep = 0)
    {
        var raw = (max - min) / Math.Max(1, target);
        var step = Math.Max(NiceStep(raw), minimumStep);
        var first = Math.Ceiling((min / step) - 1e-9) * step;
        var ticks = new List<double>();
        for (var v = first; v <= max + (step * 1e-9); v += step)
        {
            ticks.Add(Math.Round(v / step) * step);
        }

        return [.. ticks];
    }

    private static double NiceStep(double raw)
    {
        if (!(raw > 0))
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    private static string BaseName(string key) => key.StartsWith("val_", StringComparison.Ordinal) ? key[4..] : key;

    private static XElement Panel(string metric, double[] epochs, IReadOnlyList<double>? training, IReadOnlyList<double>? validation, HistoryPlotOptions options, double y0)
    {
        var left = MarginLeft;
        var right = options.Width - MarginRight;
        var top = y0 + PanelTop;
        var bottom = y0 + options.PanelHeight - PanelBottom;

        // X range: the epochs, padded half an epoch each side.
        var xMin = epochs.Min() - 0.5;
        var xMax = epochs.Max() + 0.5;
        var xTicks = NiceTicks(Math.Ceiling(xMin), Math.Floor(xMax), 8, minimumStep: 1);

        var values = (training ?? []).Concat(validation ?? []).Where(double.IsFinite).ToArray();
        double yMin = values.Length == 0 ? 0 : values.Min();
        double yMax = values.Length == 0 ? 1 : values.Max();
        if (yMax - yMin < 1e-12)
        {
            var pad = Math.Abs(yMin) > 1e-12 ? Math.Abs(yMin) * 0.1 : 0.5;
            yMin -= pad;
            yMax += pad;
        }
        else
        {
            var pad = (yMax - yMin) * 0.05;
            yMin -= pad;
            yMax += pad;
        }

        var yTicks = NiceTicks(yMin, yMax, 5);
        var yStep = yTicks.Length > 1 ? yTicks[1] - yTicks[0] : 1;
        var decimals = Math.Clamp((int)-Math.Floor(Math.Log10(yStep) + 1e-9), 0, 8);

        double X(double epoch) => left + ((epoch - xMin) / (xMax - xMin) * (right - left));
        double Y(double value) => bottom - ((value - yMin) / (yMax - yMin) * (bottom - top));

        var panel = new XElement(s_svg + "g", new XAttribute("class", "panel"), new XAttribute("data-metric", metric));
        panel.Add(Text(left, y0 + 16, metric, "panel-title", "start", ("font-weight", "bold")));
        panel.Add(new XElement(
            s_svg + "rect",
            new XAttribute("class", "plot-area"),
            new XAttribute("x", Format(left)),
            new XAttribute("y", Format(top)),
            new XAttribute("width", Format(right - left)),
            new XAttribute("height", Format(bottom - top)),
            new XAttribute("fill", "#EBEBEB")));

        var grid = new XElement(s_svg + "g", new XAttribute("class", "grid"), new XAttribute("stroke", "white"));
        var xAxis = new XElement(s_svg + "g", new XAttribute("class", "x-axis"));
        xAxis.Add(Line(left, bottom, right, bottom, "#333333"));
        foreach (var t in xTicks)
        {
            var x = X(t);
            grid.Add(Line(x, top, x, bottom, null));
            xAxis.Add(new XElement(
                s_svg + "g",
                new XAttribute("class", "tick"),
                new XAttribute("data-value", Format(t)),
                Line(x, bottom, x, bottom + 4, "#333333"),
                Text(x, bottom + 15, t.ToString("0", CultureInfo.InvariantCulture), null, "middle")));
        }

        xAxis.Add(Text((left + right) / 2, bottom + 32, "epoch", "axis-label", "middle"));

        var yAxis = new XElement(s_svg + "g", new XAttribute("class", "y-axis"));
        yAxis.Add(Line(left, top, left, bottom, "#333333"));
        foreach (var t in yTicks)
        {
            var y = Y(t);
            grid.Add(Line(left, y, right, y, null));
            yAxis.Add(new XElement(
                s_svg + "g",
                new XAttribute("class", "tick"),
                new XAttribute("data-value", Format(t)),
                Line(left - 4, y, left, y, "#333333"),
                Text(left - 6, y + 4, t.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), null, "end")));
        }

        var labelY = (top + bottom) / 2;
        yAxis.Add(new XElement(
            s_svg + "text",
            new XAttribute("class", "axis-label"),
            new XAttribute("x", Format(14)),
            new XAttribute("y", Format(labelY)),
            new XAttribute("text-anchor", "middle"),
            new XAttribute("transform", $"rotate(-90 14 {Format(labelY)})"),
            metric));

        panel.Add(grid, xAxis, yAxis);
        if (training is not null)
        {
            panel.Add(Series("training", options.TrainingColor, epochs, training, X, Y));
        }

        if (validation is not null)
        {
            panel.Add(Series("validation", options.ValidationColor, epochs, validation, X, Y));
        }

        return panel;
    }

    private static XElement Series(string name, string color, double[] epochs, IReadOnlyList<double> values, Func<double, double> x, Func<double, double> y)
    {
        var group = new XElement(s_svg + "g", new XAttribute("class", "series"), new XAttribute("data-series", name));
        var segment = new List<string>();
        void Flush()
        {
            if (segment.Count > 1)
            {
                group.Add(new XElement(
                    s_svg + "polyline",
                    new XAttribute("points", string.Join(' ', segment)),
                    new XAttribute("fill", "none"),
                    new XAttribute("stroke", color),
                    new XAttribute("stroke-width", "1.5")));
            }

            segment.Clear();
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                Flush();
                continue;
            }

            segment.Add(Format(x(epochs[i])) + "," + Format(y(values[i])));
        }

        Flush();
        for (var i = 0; i < values.Count; i++)
        {
            if (double.IsFinite(values[i]))
            {
                group.Add(new XElement(
                    s_svg + "circle",
                    new XAttribute("cx", Format(x(epochs[i]))),
                    new XAttribute("cy", Format(y(values[i]))),
                    new XAttribute("r", "3"),
                    new XAttribute("fill", color),
                    new XAttribute("stroke", "#333333"),
                    new XAttribute("stroke-width", "0.5"),
                    new XAttribute("data-epoch", Format(epochs[i])),
                    new XAttribute("data-value", values[i].ToString("R", CultureInfo.InvariantCulture))));
            }
        }

        return group;
    }

    private static XElement Legend(HistoryPlotOptions options, double y0, bool withValidation)
    {
        var legend = new XElement(s_svg + "g", new XAttribute("class", "legend"));
        var x = MarginLeft;
        var y = y0 + 14;
        foreach (var (name, color) in withValidation
            ? new[] { ("training", options.TrainingColor), ("validation", options.ValidationColor) }
            : [("training", options.TrainingColor)])
        {
            legend.Add(new XElement(
                s_svg + "g",
                new XAttribute("class", "legend-item"),
                new XAttribute("data-series", name),
                new XElement(
                    s_svg + "rect",
                    new XAttribute("x", Format(x)),
                    new XAttribute("y", Format(y - 9)),
                    new XAttribute("width", "12"),
                    new XAttribute("height", "12"),
                    new XAttribute("fill", color)),
                Text(x + 16, y + 1, name, null, "start")));
            x += 96;
        }

        return legend;
    }

    private static XElement Line(double x1, double y1, double x2, double y2, string? stroke)
    {
        var line = new XElement(
            s_svg + "line",
            new XAttribute("x1", Format(x1)),
            new XAttribute("y1", Format(y1)),
            new XAttribute("x2", Format(x2)),
            new XAttribute("y2", Format(y2)));
        if (stroke is not null)
        {
            line.Add(new XAttribute("stroke", stroke));
        }

        return line;
    }

    private static XElement Text(double x, double y, string text, string? cssClass, string anchor, params (string Name, string Value)[] attributes)
    {
        var element = new XElement(
            s_svg + "text",
            new XAttribute("x", Format(x)),
            new XAttribute("y", Format(y)),
            new XAttribute("text-anchor", anchor));
        if (cssClass is not null)
        {
            element.Add(new XAttribute("class", cssClass));
        }

        foreach (var (name, value) in attributes)
        {
            element.Add(new XAttribute(name, value));
        }

        element.Add(text);
        return element;
    }

    private static string Format(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
