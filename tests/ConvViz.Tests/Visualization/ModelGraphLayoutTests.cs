// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Visualization;

namespace ConvViz.Tests.Visualization;

public sealed partial class ModelGraphLayoutTests
{
    [Fact]
    public void Compute_Residual_RowsAreTheDepthAndTheSkipEdgeGoesAroundTheBoxes()
    {
        using var model = CreateResidualModel();

        var layout = ModelGraphLayout.Compute(model);

        // input_layer → conv2d → conv2d_1 → add(conv2d, conv2d_1) → pooling → dropout → flatten → dense: one column.
        Assert.Equal(model.Layers.Count, layout.Nodes.Count);
        Assert.All(layout.Nodes, n => Assert.NotNull(n.Layer));
        Assert.Equal(Enumerable.Range(0, model.Layers.Count), layout.Nodes.Select(n => n.Row));
        Assert.All(layout.Nodes, n => Assert.Equal(0, n.Column));
        Assert.Equal(model.Layers.Count, layout.RowCount);

        var skip = Assert.Single(layout.Edges, e => e.IsSkip);
        Assert.Equal(("conv2d", "add"), (skip.From.Name, skip.To.Name));
        Assert.Equal(0, skip.Lane);
        Assert.Equal(model.Layers.Sum(l => l.Inputs.Count), layout.Edges.Count);

        // The lane is to the right of every box, and its horizontal runs are in the gaps between rows, not inside a box.
        var xs = Numbers(skip.Path, 'H');
        var boxesRight = layout.Nodes.Max(n => n.X + ModelGraphLayout.BoxWidth);
        Assert.True(xs.Max() > boxesRight, $"lane at {xs.Max()} must be right of the boxes ({boxesRight})");
        var conv1 = layout.Nodes.Single(n => n.Name == "conv2d_1");
        var vs = Numbers(skip.Path, 'V');
        Assert.Contains(vs, y => y > skip.From.Y + ModelGraphLayout.BoxHeight && y < conv1.Y);
        Assert.Contains(vs, y => y > conv1.Y + ModelGraphLayout.BoxHeight && y < skip.To.Y);
        Assert.True(layout.Width >= xs.Max());
    }

    [Fact]
    public void Compute_Branches_SitSideBySideInInputOrderAndTheShortBranchSkips()
    {
        using var model = CreateBranchModel();

        var layout = ModelGraphLayout.Compute(model);

        var node = layout.Nodes.ToDictionary(n => n.Name);
        Assert.Equal((0, 0), (node["input_layer"].Row, node["input_layer"].Column));
        Assert.Equal((1, 0), (node["short"].Row, node["short"].Column));
        Assert.Equal((1, 1), (node["long_a"].Row, node["long_a"].Column));
        Assert.Equal((2, 0), (node["long_b"].Row, node["long_b"].Column));
        Assert.Equal(3, node["concatenate"].Row);
        Assert.True(node["short"].X < node["long_a"].X);
        Assert.Equal(node["input_layer"].X, node["long_b"].X);
        var skip = Assert.Single(layout.Edges, e => e.IsSkip);
        Assert.Equal(("short", "concatenate"), (skip.From.Name, skip.To.Name));
    }

    [Fact]
    public void Compute_OverlappingSkipEdges_GetTheirOwnLanes()
    {
        using var model = CreateDoubleSkipModel();

        var layout = ModelGraphLayout.Compute(model);

        var skips = layout.Edges.Where(e => e.IsSkip).Select(e => (e.From.Name, e.To.Name, e.Lane)).ToList();
        Assert.Equal([("conv2d", "add", 0), ("conv2d_1", "add_1", 1)], skips);
        Assert.Equal(2, layout.LaneCount);
        Assert.NotEqual(Numbers(layout.Edges.First(e => e.IsSkip).Path, 'H').Max(), Numbers(layout.Edges.Last(e => e.IsSkip).Path, 'H').Max());
    }

    [Fact]
    public void Compute_Sequential_IsOneColumnBelowAnInputBox()
    {
        using var model = HtmlReportTests.CreateSmallModel();

        var layout = ModelGraphLayout.Compute(model);

        Assert.True(layout.IsSequential);
        Assert.Null(layout.Nodes[0].Layer);
        Assert.Equal(model.Layers.Count + 1, layout.Nodes.Count);
        Assert.Equal(Enumerable.Range(0, model.Layers.Count + 1), layout.Nodes.Select(n => n.Row));
        Assert.Single(layout.Nodes.Select(n => n.X).Distinct());
        Assert.DoesNotContain(layout.Edges, e => e.IsSkip);
        Assert.Equal(model.Layers.Count, layout.Edges.Count);
        Assert.Equal(0, layout.LaneCount);
    }

    [Fact]
    public void Compute_IsDeterministic_AndTheSvgIsWellFormedWithOneBoxPerLayer()
    {
        using var first = CreateDoubleSkipModel();
        using var second = CreateDoubleSkipModel();

        var a = ModelGraphLayout.Compute(first);
        var b = ModelGraphLayout.Compute(second);
        var svg = a.ToSvg(interactive: true);

        Assert.Equal(svg, b.ToSvg(interactive: true));
        Assert.Equal(a.ToJson().ToJsonString(), b.ToJson().ToJsonString());
        var document = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var boxes = document.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "node").ToList();
        Assert.Equal(first.Layers.Select(l => l.Name), boxes.Select(g => (string?)g.Attribute("data-layer")));
        Assert.Equal(2, document.Descendants(ns + "path").Count(p => (string?)p.Attribute("class") == "edge skip"));
    }

    [Fact]
    public void ToSvg_LongNamesAreCutAndEscaped()
    {
        var f = new FunctionalBuilder(new ImageShape(8, 8, 1)).WithSeed(1);
        var x = f.Add(new Conv2DOptions { Name = "a-very-long-convolution-layer-name-that-goes-on", Filters = 2, KernelSize = 3 }, f.Input);
        using var model = f.Build(x);

        var svg = ModelGraphLayout.Compute(model).ToSvg(interactive: false);

        Assert.Contains(">a-very-long-convolution-l…</text>", svg, StringComparison.Ordinal);
        Assert.Contains("a-very-long-convolution-layer-name-that-goes-on (Conv2D)", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("tabindex", svg, StringComparison.Ordinal);
        XDocument.Parse(svg);
    }

    /// <summary>A 32×32×3 classifier with one residual block: conv2d → conv2d_1, add(conv2d, conv2d_1), then pooling, Dropout and a softmax.</summary>
    internal static Model CreateResidualModel()
    {
        var f = new FunctionalBuilder(new ImageShape(32, 32, 3)).WithSeed(1);
        var x = f.Add(new Conv2DOptions { Filters = 4, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU }, f.Input);
        var y = f.Add(new Conv2DOptions { Filters = 4, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU }, x);
        var s = f.Add(new AddOptions(), x, y);
        var p = f.Add(new MaxPooling2DOptions(), s);
        var d = f.Add(new DropoutOptions { Rate = 0.3 }, p);
        var flat = f.Add(new FlattenOptions(), d);
        return f.Build(f.Add(new DenseOptions { Units = 2, Activation = Activation.Softmax }, flat));
    }

    private static Model CreateBranchModel()
    {
        var f = new FunctionalBuilder(new ImageShape(16, 16, 3)).WithSeed(1);
        var shortBranch = f.Add(new Conv2DOptions { Name = "short", Filters = 2, KernelSize = 1 }, f.Input);
        var a = f.Add(new Conv2DOptions { Name = "long_a", Filters = 2, KernelSize = 3, Padding = Padding.Same }, f.Input);
        var b = f.Add(new Conv2DOptions { Name = "long_b", Filters = 2, KernelSize = 3, Padding = Padding.Same }, a);
        return f.Build(f.Add(new ConcatenateOptions(), shortBranch, b));
    }

    private static Model CreateDoubleSkipModel()
    {
        var f = new FunctionalBuilder(new ImageShape(16, 16, 3)).WithSeed(1);
        Conv2DOptions Conv() => new() { Filters = 4, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU };
        var c0 = f.Add(Conv(), f.Input);
        var c1 = f.Add(Conv(), c0);
        var c2 = f.Add(Conv(), c1);
        var add1 = f.Add(new AddOptions(), c0, c2);
        return f.Build(f.Add(new AddOptions(), c1, add1));
    }

    private static List<double> Numbers(string path, char command) =>
        PathCommand().Matches(path).Where(m => m.Groups[1].Value[0] == command)
            .Select(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).ToList();

    [GeneratedRegex("([HV])(-?[0-9.]+)")]
    private static partial Regex PathCommand();
}
