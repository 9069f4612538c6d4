// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text;
using System.Text.RegularExpressions;
using ConvViz.Models;
using ConvViz.Models.Layers;
using Microsoft.DotNet.Interactive.Formatting;
using SixLabors.ImageSharp;

namespace ConvViz.Interactive.Tests;

internal static partial class TestHelpers
{
    public static string Html(object value)
    {
        NotebookFormatters.Register();
        return value.ToDisplayString("text/html");
    }

    public static string Text(object value)
    {
        NotebookFormatters.Register();
        return value.ToDisplayString("text/plain");
    }

    /// <summary>The sizes of the PNG images embedded as data: URIs, decoded with ImageSharp.</summary>
    public static List<(int Width, int Height)> Pngs(string html) =>
        PngUri().Matches(html).Select(m =>
        {
            using var image = Image.Load(Convert.FromBase64String(m.Groups[1].Value));
            return (image.Width, image.Height);
        }).ToList();

    public static List<string> Svgs(string html) =>
        SvgUri().Matches(html).Select(m => Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value))).ToList();

    public static Model SmallModel(int seed = 1) =>
        new SequentialBuilder(16, 16, 3)
            .WithSeed(seed)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(6, 3, Activation.ReLU)
            .AddFlatten()
            .AddDense(2, Activation.Softmax)
            .Build();

    /// <summary>A residual block built as a graph: conv2d → conv2d_1, add(conv2d, conv2d_1), then a softmax classifier.</summary>
    public static Model ResidualModel()
    {
        var f = new FunctionalBuilder(new ImageShape(16, 16, 3)).WithSeed(1);
        var x = f.Add(new ConvViz.Models.Layers.Conv2DOptions { Filters = 4, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU }, f.Input);
        var y = f.Add(new ConvViz.Models.Layers.Conv2DOptions { Filters = 4, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU }, x);
        var s = f.Add(new ConvViz.Models.Layers.AddOptions(), x, y);
        var flat = f.Add(new ConvViz.Models.Layers.FlattenOptions(), s);
        return f.Build(f.Add(new ConvViz.Models.Layers.DenseOptions { Units = 2, Activation = Activation.Softmax }, flat));
    }

    public static Model BlogModel() =>
        new SequentialBuilder(150, 150, 3)
            .WithSeed(1)
            .AddConv2D(8, 3, Activation.ReLU).AddConv2D(16, 3, Activation.ReLU).AddMaxPooling2D(2)
            .AddConv2D(32, 3, Activation.ReLU).AddMaxPooling2D(2)
            .AddConv2D(64, 3, Activation.ReLU).AddMaxPooling2D(2)
            .AddConv2D(16, 3, Activation.ReLU).AddFlatten()
            .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
            .AddDense(128, Activation.ReLU).AddDense(128, Activation.ReLU).AddDropout(0.3)
            .AddDense(256, Activation.ReLU).AddDense(256, Activation.ReLU).AddDropout(0.3)
            .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
            .AddDense(32, Activation.ReLU).AddDense(2, Activation.Softmax)
            .Build();

    public static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConvViz.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ConvViz.sln not found above the test directory; run the tests from the repository.");
    }

    [GeneratedRegex("data:image/png;base64,([A-Za-z0-9+/=]+)")]
    private static partial Regex PngUri();

    [GeneratedRegex("data:image/svg\\+xml;base64,([A-Za-z0-9+/=]+)")]
    private static partial Regex SvgUri();
}
