// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Visualization;
using static TorchSharp.torch;

namespace ConvViz.Tests.Visualization;

/// <summary>The report takes its class names and its pattern input range from the model unless they are given.</summary>
public sealed partial class HtmlReportTests
{
    [Fact]
    public void Create_NoClassNames_TakesTheModelsClassNames()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var model = CreateSmallModel();
        model.ClassNames = ["boot", "sneaker"];
        var input = rand(new long[] { 1, 3, 32, 32 }, generator: new Generator(5));

        var fromModel = HtmlReport.Create(model, new HtmlReportOptions { Layout = HtmlReportLayout.Static, Input = input });
        var given = HtmlReport.Create(model, new HtmlReportOptions { Layout = HtmlReportLayout.Static, Input = input, ClassNames = ["left", "right"] });
        using var interactive = ReportData(HtmlReport.Create(model, new HtmlReportOptions { Input = input, Attributions = [] }));

        Assert.Contains("boot (0)", fromModel);
        Assert.Contains("sneaker (1)", fromModel);
        Assert.Contains("left (0)", given);
        Assert.DoesNotContain("boot", given);
        Assert.Contains("sneaker", interactive.RootElement.ToString());
    }

    [Fact]
    public void Create_SingleSigmoidUnit_ShowsBothClassesWithTheirProbabilities()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(32, 32, 3).WithSeed(3)
            .AddConv2D(4, 3, Activation.ReLU).AddFlatten().AddDense(1, Activation.Sigmoid).Build();
        model.ClassNames = ["boot", "sneaker"];
        var input = rand(new long[] { 1, 3, 32, 32 }, generator: new Generator(5));
        var p = model.Predict(input).item<float>();

        using var data = ReportData(HtmlReport.Create(model, new HtmlReportOptions { Input = input, Attributions = [HtmlReportAttribution.GradCam] }));

        Assert.Equal(["boot", "sneaker"], data.RootElement.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        var probs = data.RootElement.GetProperty("images")[0].GetProperty("probs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal([1 - p, p], probs, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(2, data.RootElement.GetProperty("images")[0].GetProperty("attr").GetProperty("GradCam").GetArrayLength());
    }

    [Fact]
    public void Create_ModelWithoutClassNames_ShowsIndices()
    {
        using var scope = NewDisposeScope();
        using var model = CreateSmallModel();

        var html = HtmlReport.Create(model, new HtmlReportOptions { Layout = HtmlReportLayout.Static, Input = rand(1, 3, 32, 32) });

        Assert.Contains("class 0 (0)", html);
    }

    [Theory]
    [InlineData("standardised", "[-2.5, 2.5]")]
    [InlineData("rescaled", "[0, 1]")]
    [InlineData("none", "[0, 1]")]
    [InlineData("explicit", "[-1, 3]")]
    public void Create_Patterns_UseTheModelsInputRangeUnlessSetExplicitly(string preprocessing, string range)
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var model = CreateSmallModel();
        var size = new ImagePreprocessing { TargetHeight = 32, TargetWidth = 32 };
        model.Preprocessing = preprocessing switch
        {
            "standardised" or "explicit" => size with { SamplewiseStdNormalization = true },
            "rescaled" => size with { Rescale = 1.0 / 255 },
            _ => null,
        };
        var settings = new HtmlReportOptions().PatternSettings with { Steps = 2 };
        if (preprocessing == "explicit")
        {
            settings = settings with { InputMin = -1, InputMax = 3 };
        }

        using var data = ReportData(HtmlReport.Create(model, new HtmlReportOptions { PatternLayers = ["conv2d_1"], PatternChannels = 1, PatternSettings = settings }));

        var caption = data.RootElement.GetProperty("patterns")[0].GetProperty("caption").GetString();
        Assert.Contains($"in {range};", caption, StringComparison.Ordinal);
    }

    [Fact]
    public void WithInputRangeOf_FollowsThePreprocessing()
    {
        using var model = CreateSmallModel();
        var size = new ImagePreprocessing { TargetHeight = 32, TargetWidth = 32 };
        var options = new ActivationMaximizationOptions { Steps = 7 };
        (double, double) RangeFor(ImagePreprocessing? p)
        {
            model.Preprocessing = p;
            var o = options.WithInputRangeOf(model);
            Assert.Equal(7, o.Steps);
            return (o.InputMin, o.InputMax);
        }

        Assert.Equal((-2.5, 2.5), RangeFor(size with { SamplewiseStdNormalization = true }));
        Assert.Equal((-2.5, 2.5), RangeFor(size with { FeaturewiseMean = [1f, 2f, 3f], FeaturewiseStd = [1f, 1f, 1f] }));
        Assert.Equal((-127.5, 127.5), RangeFor(size with { SamplewiseCenter = true }));
        Assert.Equal((0.0, 1.0), RangeFor(size with { Rescale = 1.0 / 255 }));
        Assert.Equal((0.0, 255.0), RangeFor(size));
        Assert.Equal((0.0, 1.0), RangeFor(null)); // unknown: the options' own range
    }
}
