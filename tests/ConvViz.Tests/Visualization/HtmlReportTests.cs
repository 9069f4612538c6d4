// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.RegularExpressions;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace ConvViz.Tests.Visualization;

public sealed partial class HtmlReportTests
{
    private const string Svg =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"120\" height=\"40\"><rect width=\"120\" height=\"40\" fill=\"#eef\"/>" +
        "<polyline points=\"0,35 40,20 80,12 120,8\" fill=\"none\" stroke=\"#c00\"/></svg>";

    [Fact]
    public void Create_FullReport_EmbedsEveryImageAndLoadsNothingExternal()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var model = CreateSmallModel();
        var input = rand(new long[] { 1, 3, 32, 32 }, generator: new Generator(5));

        var html = HtmlReport.Create(model, new HtmlReportOptions
        {
            Title = "Cats & <dogs>",
            Layout = HtmlReportLayout.Static,
            Input = input,
            ClassNames = ["cat", "<script>alert(1)</script>"],
            HistorySvg = Svg,
        });

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>Cats &amp; &lt;dogs&gt;</title>", html);
        Assert.DoesNotContain("<script>alert", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        var sources = ImageSources().Matches(html).Select(m => m.Groups[1].Value).ToList();

        // history + input + Grad-CAM + saliency + 3 feature-map layers (conv2d, max_pooling2d, conv2d_1) + first-layer filters.
        Assert.Equal(8, sources.Count);
        Assert.All(sources, s => Assert.StartsWith("data:image/", s));
        Assert.DoesNotMatch("(src|href)=\"(?!data:)", html);
        foreach (var source in sources.Where(s => s.StartsWith("data:image/png;base64,", StringComparison.Ordinal)))
        {
            using var decoded = Image.Load<Rgb24>(Convert.FromBase64String(source["data:image/png;base64,".Length..]));
            Assert.True(decoded.Width > 0);
        }

        Assert.Contains("conv2d_1 (Conv2D)", html);
        Assert.Contains("max_pooling2d", html);
    }

    [Fact]
    public void Create_WithoutInput_ShowsModelAndFiltersOnly()
    {
        using var model = CreateSmallModel();

        var html = HtmlReport.Create(model, new HtmlReportOptions { Layout = HtmlReportLayout.Static });

        Assert.Contains("<h2>Model</h2>", html);
        Assert.Contains("First-layer filters", html);
        Assert.DoesNotContain("Grad-CAM", html);
        Assert.Single(ImageSources().Matches(html));
    }

    [Fact]
    public void Create_TooFewClassNames_Throws()
    {
        using var scope = NewDisposeScope();
        using var model = CreateSmallModel();

        var ex = Assert.Throws<ArgumentException>(() => HtmlReport.Create(model, new HtmlReportOptions { Input = rand(1, 3, 32, 32), ClassNames = ["cat"] }));

        Assert.Contains("2 outputs", ex.Message);
    }

    [Fact]
    public void Save_CatPhotoOnTheBlogModel_WritesAReportForTheBrowserCheck()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = BlogModel.CreateBuilder().Build();
        using var photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "TestAssets", "chelsea.png"));
        using var mirrored = photo.Clone(c => c.Flip(FlipMode.Horizontal));
        var input = ToInput(photo);
        var mirroredInput = ToInput(mirrored);
        var directory = Path.Combine(FindArtifacts(), "test-output", "HtmlReport");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "chelsea.html");

        HtmlReport.Save(model, path, new HtmlReportOptions
        {
            Title = "Chelsea the cat on the blog's (untrained) model",
            Images = [new("chelsea", input, photo), new("chelsea, mirrored", mirroredInput, mirrored)],
            ClassNames = ["cat", "dog"],
            HistorySvg = Svg,
            PatternLayers = ["conv2d_3"],
            PatternChannels = 4,
            PatternSettings = new HtmlReportOptions().PatternSettings with { Steps = 40 },
        });

        var html = File.ReadAllText(path);
        using var data = ReportData(html);
        var root = data.RootElement;
        Assert.Equal(2, root.GetProperty("images").GetArrayLength());
        Assert.Equal(5, root.GetProperty("methods").GetArrayLength());
        Assert.Equal(2, root.GetProperty("images")[0].GetProperty("attr").GetProperty("GradCamPlusPlus").GetArrayLength());
        Assert.Single(root.GetProperty("patterns").EnumerateArray());
        Assert.Contains("steps of size 0.02", root.GetProperty("patterns")[0].GetProperty("caption").GetString(), StringComparison.Ordinal);
        Assert.Contains(root.GetProperty("layers").EnumerateArray(), l => l.GetProperty("name").GetString() == "conv2d_4" && l.GetProperty("shape").GetString() == "(None, 14, 14, 16)");
        Assert.Empty(root.GetProperty("notes").EnumerateArray());

        // What the browser test hovers: the middle pixel of the first live channel of conv2d_1 on the first image.
        using var activations = ConvViz.Inspection.IntermediateModel.From(model, "conv2d_1").Run(input);
        var maps = activations["conv2d_1"][0];
        var channel = Enumerable.Range(0, (int)maps.shape[0]).First(c => maps[c].max().item<float>() > maps[c].min().item<float>());
        int h = (int)maps.shape[1], w = (int)maps.shape[2], row = h / 2, column = w / 3;
        var expected = maps[channel, row, column].item<float>();
        var range = maps[channel].max().item<float>() - maps[channel].min().item<float>();
        var layerPosition = root.GetProperty("acts").EnumerateArray().Select(a => a.GetProperty("name").GetString()).ToList().IndexOf("conv2d_1");
        File.WriteAllText(Path.Combine(directory, "chelsea.expected.json"), System.Text.Json.JsonSerializer.Serialize(new
        {
            layer = "conv2d_1",
            layerPosition,
            channel,
            row,
            column,
            height = h,
            width = w,
            value = expected,
            tolerance = (range / 508.0) + 1e-6,
            classes = 2,
        }));

        var size = new FileInfo(path).Length;
        Assert.True(size < new HtmlReportOptions().SizeBudget, $"The report is {size} bytes.");
    }

    [Fact]
    public void Save_OneCatOnTheBlogModel_StaysUnderTheDefaultBudgetWithoutDroppingDetail()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = BlogModel.CreateBuilder().Build();
        using var photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "TestAssets", "chelsea.png"));
        var path = Path.Combine(FindArtifacts(), "test-output", "HtmlReport", "chelsea-one-image.html");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        HtmlReport.Save(model, path, new HtmlReportOptions { Input = ToInput(photo), InputImage = photo, ClassNames = ["cat", "dog"] });

        using var data = ReportData(File.ReadAllText(path));
        Assert.Empty(data.RootElement.GetProperty("notes").EnumerateArray());
        Assert.All(data.RootElement.GetProperty("acts").EnumerateArray(), a => Assert.Equal(a.GetProperty("c").GetInt32(), a.GetProperty("kept").GetInt32()));
        Assert.InRange(new FileInfo(path).Length, 100_000, 4L * 1024 * 1024);
    }

    [Fact]
    public void Save_ModelOnly_WritesAnInteractivePageWithoutImages()
    {
        using var model = BlogModel.CreateBuilder().Build();
        var path = Path.Combine(FindArtifacts(), "test-output", "HtmlReport", "model-only.html");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        HtmlReport.Save(model, path);

        using var data = ReportData(File.ReadAllText(path));
        Assert.Empty(data.RootElement.GetProperty("images").EnumerateArray());
        Assert.Single(data.RootElement.GetProperty("filters").EnumerateArray());
    }

    [Fact]
    public void Create_OverBudget_DropsChannelsThenTileDetailAndSaysSo()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = BlogModel.CreateBuilder().Build();
        var input = rand(new long[] { 1, 3, 150, 150 }, generator: new Generator(3));
        var logger = new ListLogger();

        var html = HtmlReport.Create(model, new HtmlReportOptions { Input = input, Attributions = [], SizeBudget = 256 * 1024, Logger = logger });

        using var data = ReportData(html);
        var note = Assert.Single(data.RootElement.GetProperty("notes").EnumerateArray()).GetString()!;
        Assert.Contains("at most the first 8 channels", note, StringComparison.Ordinal);
        Assert.Contains("pixel of each tile", note, StringComparison.Ordinal);
        Assert.Contains(note, Assert.Single(logger.Messages), StringComparison.Ordinal);
        var first = data.RootElement.GetProperty("acts")[0];
        Assert.Equal(8, first.GetProperty("kept").GetInt32());
        Assert.True(first.GetProperty("stride").GetInt32() > 1);
        Assert.InRange(html.Length, 1, 256 * 1024);
    }

    [Fact]
    public void Create_NonFiniteActivations_AreMarkedNotWrittenAsNaN()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var model = CreateSmallModel();
        var input = rand(new long[] { 1, 3, 32, 32 }, generator: new Generator(5));
        input[0, 0, 10, 10] = tensor(float.NaN);

        var html = HtmlReport.Create(model, new HtmlReportOptions { Input = input, Attributions = [] });

        Assert.DoesNotContain("NaN", html[html.IndexOf("report-data", StringComparison.Ordinal)..html.IndexOf("</script>", html.IndexOf("report-data", StringComparison.Ordinal), StringComparison.Ordinal)], StringComparison.Ordinal);
        using var data = ReportData(html);
        var first = data.RootElement.GetProperty("acts")[0].GetProperty("images")[0];
        var bytes = Convert.FromBase64String(first.GetProperty("data").GetString()!);
        Assert.Contains((byte)255, bytes);
        Assert.True(bytes.Count(b => b == 255) < bytes.Length / 4);
    }

    [Fact]
    public void Create_UnknownLayerOrBothImageForms_ThrowNamingTheOption()
    {
        using var scope = NewDisposeScope();
        using var model = CreateSmallModel();
        var input = rand(1, 3, 32, 32);

        var unknown = Assert.Throws<ArgumentException>(() => HtmlReport.Create(model, new HtmlReportOptions { Input = input, Layers = ["nope"] }));
        var both = Assert.Throws<ArgumentException>(() => HtmlReport.Create(model, new HtmlReportOptions { Input = input, Images = [new("x", input)] }));

        Assert.Contains("HtmlReportOptions.Layers", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("conv2d_1", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("Images", both.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_BothLayouts_DrawTheSameFeatureMapLayers_LeavingOutSpatialDropout()
    {
        // Dropout acts only in training (LayerOptions.IsTrainingOnly): its maps at inference are its input's, so
        // neither layout draws them, and both use GradCam.DefaultLayer.
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var model = new SequentialBuilder(32, 32, 3)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddDropout(0.5)
            .AddMaxPooling2D(2)
            .AddFlatten()
            .AddDense(2, Activation.Softmax)
            .Build();
        var input = rand(new long[] { 1, 3, 32, 32 }, generator: new Generator(5));

        var staticHtml = HtmlReport.Create(model, new HtmlReportOptions { Layout = HtmlReportLayout.Static, Input = input });
        var interactive = HtmlReport.Create(model, new HtmlReportOptions { Images = [new("x", input)], Attributions = [HtmlReportAttribution.GradCam] });

        var drawnStatic = Regex.Matches(staticHtml, "alt=\"Feature maps of ([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        using var data = ReportData(interactive);
        var drawnInteractive = data.RootElement.GetProperty("layers").EnumerateArray()
            .Where(l => l.GetProperty("shown").GetBoolean()).Select(l => l.GetProperty("name").GetString()!).ToList();
        Assert.Equal(["conv2d", "max_pooling2d"], drawnStatic);
        Assert.Equal(drawnStatic, drawnInteractive);
        Assert.Contains("Grad-CAM: where layer &#39;conv2d&#39;", staticHtml, StringComparison.Ordinal);
        Assert.Equal("conv2d", data.RootElement.GetProperty("camLayer").GetString());
    }

    [Fact]
    public void Save_ResidualGraphModel_ListsInputsDrawsTheGraphAndWritesAReportForTheBrowserCheck()
    {
        using var scope = NewDisposeScope();
        using var model = ModelGraphLayoutTests.CreateResidualModel();
        var input = rand(new long[] { 1, 3, 32, 32 }, generator: new Generator(7));
        var path = Path.Combine(FindArtifacts(), "test-output", "HtmlReport", "residual.html");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        HtmlReport.Save(model, path, new HtmlReportOptions
        {
            Title = "A residual block (FunctionalBuilder)",
            Images = [new("noise", input)],
            ClassNames = ["cat", "dog"],
            Attributions = [HtmlReportAttribution.GradCam],
        });

        var html = File.ReadAllText(path);
        using var data = ReportData(html);
        var root = data.RootElement;
        Assert.False(root.GetProperty("sequential").GetBoolean());
        Assert.True(root.GetProperty("inputLayer").GetBoolean());
        var layers = root.GetProperty("layers").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        string[] InputsOf(string name) => [.. layers[name].GetProperty("inputs").EnumerateArray().Select(i => i.GetString()!)];
        Assert.Empty(InputsOf("input_layer"));
        Assert.Equal(["input_layer"], InputsOf("conv2d"));
        Assert.Equal(["conv2d", "conv2d_1"], InputsOf("add"));
        Assert.Equal(["add"], InputsOf("max_pooling2d"));
        Assert.Equal([0, 1, 2, 3, 4], new[] { "input_layer", "conv2d", "conv2d_1", "add", "max_pooling2d" }.Select(n => layers[n].GetProperty("row").GetInt32()));

        var graph = root.GetProperty("graph");
        Assert.Equal(model.Layers.Count, graph.GetProperty("nodes").GetArrayLength());
        var skip = Assert.Single(graph.GetProperty("edges").EnumerateArray(), e => e.GetProperty("skip").GetBoolean());
        Assert.Equal(("conv2d", "add"), (skip.GetProperty("from").GetString(), skip.GetProperty("to").GetString()));

        // One focusable box per layer in the page (wired by the script), the skip edge drawn, the graph open, and the
        // layer table with its "Connected to" column.
        Assert.Equal(model.Layers.Select(l => l.Name), GraphBoxes().Matches(html).Select(m => m.Groups[1].Value));
        Assert.Single(Regex.Matches(html, "<path class=\"edge skip\" data-from=\"conv2d\" data-to=\"add\""));
        Assert.Contains("<details id=\"graph\" open>", html, StringComparison.Ordinal);
        Assert.Contains("<th>Connected to</th>", html, StringComparison.Ordinal);

        // Dropout (training only) is drawn by neither layout; the merge is drawn by both; both list the inputs.
        var staticHtml = HtmlReport.Create(model, new HtmlReportOptions { Layout = HtmlReportLayout.Static, Input = input, ClassNames = ["cat", "dog"] });
        var drawnStatic = Regex.Matches(staticHtml, "alt=\"Feature maps of ([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        var drawnInteractive = root.GetProperty("acts").EnumerateArray().Select(a => a.GetProperty("name").GetString()!).ToList();
        Assert.Equal(["input_layer", "conv2d", "conv2d_1", "add", "max_pooling2d"], drawnStatic);
        Assert.Equal(drawnStatic, drawnInteractive);
        Assert.Contains("<td>conv2d<br>conv2d_1</td>", staticHtml, StringComparison.Ordinal);
        Assert.Equal(model.Layers.Select(l => l.Name), GraphBoxes().Matches(staticHtml).Select(m => m.Groups[1].Value));
        Assert.DoesNotContain("tabindex", staticHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("<td>input</td>", staticHtml, StringComparison.Ordinal);
        Assert.Equal("max_pooling2d", root.GetProperty("camLayer").GetString()); // GradCam.DefaultLayer: the pooled block output, which every path crosses
    }

    [Fact]
    public void Create_Sequential_FoldsTheGraphAndKeepsTheTableWithoutConnectedTo()
    {
        using var model = CreateSmallModel();

        var interactive = HtmlReport.Create(model);
        var staticHtml = HtmlReport.Create(model, new HtmlReportOptions { Layout = HtmlReportLayout.Static });

        Assert.Contains("<details id=\"graph\">", interactive, StringComparison.Ordinal);
        Assert.Equal(model.Layers.Select(l => l.Name), GraphBoxes().Matches(interactive).Select(m => m.Groups[1].Value));
        Assert.DoesNotContain("Connected to", interactive, StringComparison.Ordinal);
        Assert.DoesNotContain("edge skip", interactive, StringComparison.Ordinal);
        using var data = ReportData(interactive);
        Assert.True(data.RootElement.GetProperty("sequential").GetBoolean());
        Assert.Equal(["conv2d"], data.RootElement.GetProperty("layers")[1].GetProperty("inputs").EnumerateArray().Select(i => i.GetString()));
        Assert.Empty(data.RootElement.GetProperty("layers")[0].GetProperty("inputs").EnumerateArray());

        // The printable page keeps its table (with the input row) and leaves out a graph that would only repeat it.
        Assert.DoesNotContain("Connected to", staticHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("model-graph", staticHtml, StringComparison.Ordinal);
        Assert.Contains("<td>input</td>", staticHtml, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_Interactive_EscapesNamesInsideTheEmbeddedData()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var model = CreateSmallModel();
        var input = rand(new long[] { 1, 3, 32, 32 }, generator: new Generator(5));

        var html = HtmlReport.Create(model, new HtmlReportOptions
        {
            Title = "</script><script>alert(0)</script>",
            Images = [new("</script><b>x", input)],
            ClassNames = ["cat", "</script><script>alert(1)</script>"],
        });

        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("</script><b>", html, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Matches(html, "<script").Count);
        using var data = ReportData(html);
        Assert.Equal("</script><script>alert(1)</script>", data.RootElement.GetProperty("classes")[1].GetString());
        Assert.Equal(3, data.RootElement.GetProperty("acts").GetArrayLength());
    }

    [Fact]
    public void QuantiseBytes_MapsTheFiniteRangeTo0To254And255ToNonFinite()
    {
        var (bytes, low, high) = HtmlReportData.QuantiseBytes([-1f, 0f, 3f, float.PositiveInfinity, float.NaN]);

        Assert.Equal(new byte[] { 0, 64, 254, 255, 255 }, bytes);
        Assert.Equal(-1, low);
        Assert.Equal(3, high);
    }

    private static Tensor ToInput(Image<Rgb24> photo)
    {
        using var resized = photo.Clone(c => c.Resize(150, 150));
        var pixels = new Rgb24[150 * 150];
        resized.CopyPixelDataTo(pixels);
        var data = new float[3 * 150 * 150];
        for (var i = 0; i < pixels.Length; i++)
        {
            data[i] = pixels[i].R / 255f;
            data[pixels.Length + i] = pixels[i].G / 255f;
            data[(2 * pixels.Length) + i] = pixels[i].B / 255f;
        }

        return tensor(data, [1, 3, 150, 150]);
    }

    private static System.Text.Json.JsonDocument ReportData(string html)
    {
        const string Open = "<script type=\"application/json\" id=\"report-data\">";
        var start = html.IndexOf(Open, StringComparison.Ordinal);
        Assert.True(start >= 0, "The page has no report-data block.");
        start += Open.Length;
        return System.Text.Json.JsonDocument.Parse(html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)]);
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }

    /// <summary>A small untrained 32×32×3 classifier (two convolutions, Dropout, two classes), shared with <see cref="OneCallTests"/>.</summary>
    internal static Model CreateSmallModel() =>
        new SequentialBuilder(32, 32, 3)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(6, 3, Activation.ReLU)
            .AddFlatten()
            .AddDropout(0.5)
            .AddDense(2, Activation.Softmax)
            .Build();

    private static string FindArtifacts()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConvViz.sln")))
            {
                return Path.Combine(dir.FullName, "artifacts");
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "artifacts");
    }

    [GeneratedRegex("<img [^>]*src=\"([^\"]+)\"")]
    private static partial Regex ImageSources();

    [GeneratedRegex("<g class=\"node\" data-layer=\"([^\"]+)\"")]
    private static partial Regex GraphBoxes();
}
