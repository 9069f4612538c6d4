// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Xml.Linq;
using ConvViz.Training;
using ConvViz.Visualization;

namespace ConvViz.Tests.Visualization;

public sealed class HistoryPlotTests
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void ToSvg_TrainAndValidation_OnePanelPerMetricWithBothSeriesAndLegend()
    {
        var history = History(initialEpoch: 0, epochs: 4, withValidation: true);

        var svg = XDocument.Parse(HistoryPlot.ToSvg(history));

        var panels = Panels(svg);
        Assert.Equal(["loss", "accuracy"], panels.Select(p => (string)p.Attribute("data-metric")!));
        foreach (var panel in panels)
        {
            Assert.Equal(["training", "validation"], Series(panel).Select(s => (string)s.Attribute("data-series")!));
            Assert.All(Series(panel), s => Assert.Equal(4, s.Elements(s_svg + "circle").Count()));
            Assert.All(Series(panel), s => Assert.Equal(4, s.Element(s_svg + "polyline")!.Attribute("points")!.Value.Split(' ').Length));
            Assert.Contains(panel.Descendants(s_svg + "text"), t => t.Value == "epoch");
            Assert.NotEmpty(panel.Elements(s_svg + "g").Single(g => (string?)g.Attribute("class") == "y-axis").Elements(s_svg + "g"));
        }

        var legend = svg.Root!.Elements(s_svg + "g").Single(g => (string?)g.Attribute("class") == "legend");
        Assert.Equal(["training", "validation"], legend.Descendants(s_svg + "text").Select(t => t.Value));
    }

    [Fact]
    public void ToSvg_InitialEpoch_XAxisShowsRealEpochNumbers()
    {
        var history = History(initialEpoch: 5, epochs: 9, withValidation: false); // epochs 6..9 in Keras' display

        var svg = XDocument.Parse(HistoryPlot.ToSvg(history));

        var panel = Panels(svg)[0];
        var points = Series(panel).Single().Elements(s_svg + "circle").Select(c => (string)c.Attribute("data-epoch")!).ToArray();
        Assert.Equal(["6", "7", "8", "9"], points);
        var xTicks = panel.Elements(s_svg + "g").Single(g => (string?)g.Attribute("class") == "x-axis")
            .Elements(s_svg + "g").Select(t => t.Element(s_svg + "text")!.Value).ToArray();
        Assert.Equal(["6", "7", "8", "9"], xTicks);
        var legend = svg.Root!.Elements(s_svg + "g").Single(g => (string?)g.Attribute("class") == "legend");
        Assert.Equal(["training"], legend.Descendants(s_svg + "text").Select(t => t.Value));
    }

    [Fact]
    public void ToSvg_Points_AreOrderedAndScaledWithinThePlotArea()
    {
        var history = History(initialEpoch: 0, epochs: 4, withValidation: true);

        var svg = XDocument.Parse(HistoryPlot.ToSvg(history));

        var loss = Panels(svg)[0];
        var area = loss.Elements(s_svg + "rect").Single(r => (string?)r.Attribute("class") == "plot-area");
        var (left, top) = (Number(area, "x"), Number(area, "y"));
        var (right, bottom) = (left + Number(area, "width"), top + Number(area, "height"));
        var circles = Series(loss).First().Elements(s_svg + "circle").ToArray();
        var xs = circles.Select(c => Number(c, "cx")).ToArray();
        var ys = circles.Select(c => Number(c, "cy")).ToArray();
        Assert.All(xs, x => Assert.InRange(x, left, right));
        Assert.All(ys, y => Assert.InRange(y, top, bottom));
        Assert.Equal(xs.Order(), xs);
        Assert.Equal(ys.Order(), ys); // the training loss decreases, so SVG y (downwards) increases
    }

    [Fact]
    public void ToSvg_NaNValue_LeavesAGap()
    {
        var history = new TrainingHistory(0, 3, 1);
        history.Add(0, new Dictionary<string, double> { ["loss"] = 1.0 }, 0.001, TimeSpan.Zero);
        history.Add(1, new Dictionary<string, double> { ["loss"] = double.NaN }, 0.001, TimeSpan.Zero);
        history.Add(2, new Dictionary<string, double> { ["loss"] = 0.5 }, 0.001, TimeSpan.Zero);

        var svg = XDocument.Parse(HistoryPlot.ToSvg(history));

        var series = Series(Panels(svg)[0]).Single();
        Assert.Equal(2, series.Elements(s_svg + "circle").Count());
        Assert.Empty(series.Elements(s_svg + "polyline"));
    }

    [Fact]
    public void ToSvg_UnknownMetric_ThrowsListingTheKeys()
    {
        var history = History(0, 2, withValidation: false);

        var ex = Assert.Throws<ArgumentException>(() => HistoryPlot.ToSvg(history, new HistoryPlotOptions { Metrics = ["auc"] }));

        Assert.Contains("loss, accuracy", ex.Message);
    }

    [Fact]
    public void ToSvg_IsDeterministicAndCultureInvariant()
    {
        var history = History(0, 3, withValidation: true);
        var previous = CultureInfo.CurrentCulture;
        string german;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            german = HistoryPlot.ToSvg(history);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        Assert.Equal(HistoryPlot.ToSvg(history), german);
        Assert.DoesNotContain("0,5", german.Split('"').Where(a => a.Contains('.') || a.Contains(',')).Where(a => !a.Contains(' ')), StringComparer.Ordinal);
    }

    [Fact]
    public void Plot_WritesAnSvgFile()
    {
        var history = History(0, 2, withValidation: true);
        var path = Path.Combine(Path.GetTempPath(), "convviz-history-" + Guid.NewGuid().ToString("N") + ".svg");
        try
        {
            history.Plot(path, new HistoryPlotOptions { Title = "Training history" });

            var svg = XDocument.Load(path);
            Assert.Equal(s_svg + "svg", svg.Root!.Name);
            Assert.Contains(svg.Root.Elements(s_svg + "text"), t => t.Value == "Training history");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("history.png", "ends in .png")]
    [InlineData("history.PNG", "ends in .PNG")]
    [InlineData("history.jpg", "ends in .jpg")]
    [InlineData("history", "has no extension")]
    public void Save_AnyExtensionButSvg_IsRefusedAndWritesNothing(string name, string reason)
    {
        var history = History(0, 2, withValidation: true);
        var directory = Directory.CreateTempSubdirectory("convviz-history").FullName;
        try
        {
            var path = Path.Combine(directory, name);

            var ex = Assert.Throws<ArgumentException>(() => HistoryPlot.Save(history, path));

            Assert.Equal("path", ex.ParamName);
            Assert.Contains("must end in .svg", ex.Message, StringComparison.Ordinal);
            Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
            Assert.Contains(Path.ChangeExtension(path, ".svg"), ex.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => history.Plot(path));
            Assert.Empty(Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Save_UpperCaseSvgExtension_IsAccepted()
    {
        var history = History(0, 2, withValidation: true);
        var path = Path.Combine(Path.GetTempPath(), "convviz-history-" + Guid.NewGuid().ToString("N") + ".SVG");
        try
        {
            HistoryPlot.Save(history, path);

            Assert.Equal(s_svg + "svg", XDocument.Load(path).Root!.Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ToSvg_MatchesTheGoldenFile()
    {
        var history = History(initialEpoch: 1, epochs: 4, withValidation: true);
        var golden = Path.Combine(AppContext.BaseDirectory, "ReferenceOutput", "HistoryPlotTests", "ToSvg_MatchesTheGoldenFile.svg");

        var actual = HistoryPlot.ToSvg(history, new HistoryPlotOptions { Title = "History", Width = 400, PanelHeight = 160 });

        if (GoldenImage.UpdateRequested())
        {
            GoldenImage.Update(Path.Combine(FindSourceDirectory(), "ReferenceOutput", "HistoryPlotTests", "ToSvg_MatchesTheGoldenFile.svg"), path => File.WriteAllText(path, actual));
        }

        Assert.Equal(Normalize(File.ReadAllText(golden)), Normalize(actual));
    }

    [Theory]
    [InlineData(0, 1, 5, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1.0 })]
    [InlineData(0.33, 0.71, 5, new[] { 0.4, 0.5, 0.6, 0.7 })]
    [InlineData(0.33, 0.71, 8, new[] { 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7 })]
    [InlineData(1, 100, 8, new[] { 20.0, 40, 60, 80, 100 })]
    public void NiceTicks_Use125Steps(double min, double max, int target, double[] expected)
    {
        Assert.Equal(expected, HistoryPlot.NiceTicks(min, max, target), new Tolerance());
    }

    private static TrainingHistory History(int initialEpoch, int epochs, bool withValidation)
    {
        var history = new TrainingHistory(initialEpoch, epochs, 10);
        for (var e = initialEpoch; e < epochs; e++)
        {
            var k = e - initialEpoch;
            var logs = new Dictionary<string, double> { ["loss"] = 1.0 / (k + 1), ["accuracy"] = 0.5 + (0.1 * k) };
            if (withValidation)
            {
                logs["val_loss"] = 1.2 / (k + 1);
                logs["val_accuracy"] = 0.45 + (0.1 * k);
            }

            history.Add(e, logs, 0.001, TimeSpan.FromSeconds(1));
        }

        return history;
    }

    /// <summary>Line endings and indentation do not matter; element order, attributes and text do.</summary>
    private static string Normalize(string svg) =>
        string.Join('\n', svg.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static string FindSourceDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ConvViz.Tests.csproj")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("tests/ConvViz.Tests not found above " + AppContext.BaseDirectory);
    }

    private static XElement[] Panels(XDocument svg) =>
        svg.Root!.Elements(s_svg + "g").Where(g => (string?)g.Attribute("class") == "panel").ToArray();

    private static IEnumerable<XElement> Series(XElement panel) =>
        panel.Elements(s_svg + "g").Where(g => (string?)g.Attribute("class") == "series");

    private static double Number(XElement element, string attribute) =>
        double.Parse((string)element.Attribute(attribute)!, CultureInfo.InvariantCulture);

    private sealed class Tolerance : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-9;

        public int GetHashCode(double obj) => 0;
    }
}
