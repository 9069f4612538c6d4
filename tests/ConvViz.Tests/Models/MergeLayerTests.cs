// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// The merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate) in functional graphs, against values
/// computed by hand: the image x = [1, 2, 3, 4] (2 × 2, one channel) goes through Rescaling branches a = 2x + 1 =
/// [3, 5, 7, 9], b = 3 − x = [2, 1, 0, −1] and c = x / 2 = [0.5, 1, 1.5, 2], then the merge, Flatten and a Dense unit.
/// </summary>
public sealed class MergeLayerTests
{
    private static readonly float[] s_denseWeights = [1f, -2f, 0.5f, 4f];

    public static TheoryData<string, int, float[]> MergeCases() => new()
    {
        { "Add", 2, [5f, 6f, 7f, 8f] },
        { "Add", 3, [5.5f, 7f, 8.5f, 10f] },
        { "Subtract", 2, [1f, 4f, 7f, 10f] },
        { "Multiply", 2, [6f, 5f, 0f, -9f] },
        { "Multiply", 3, [3f, 5f, 0f, -18f] },
        { "Average", 2, [2.5f, 3f, 3.5f, 4f] },
        { "Average", 3, [5.5f / 3, 7f / 3, 8.5f / 3, 10f / 3] },
        { "Maximum", 2, [3f, 5f, 7f, 9f] },
        { "Maximum", 3, [3f, 5f, 7f, 9f] },
        { "Minimum", 2, [2f, 1f, 0f, -1f] },
        { "Minimum", 3, [0.5f, 1f, 0f, -1f] },
    };

    [Theory]
    [MemberData(nameof(MergeCases))]
    public void Merge_OfRescalingBranches_MatchesHandComputedValues(string type, int inputs, float[] expected)
    {
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(2, 2, 1));
        RescalingOptions[] rescalings = [new() { Scale = 2, Offset = 1 }, new() { Scale = -1, Offset = 3 }, new() { Scale = 0.5 }];
        var branches = rescalings[..inputs].Select(r => f.Add(r, f.Input)).ToArray();
        var merged = f.Add(Merge(type), branches);
        var flat = f.Add(new FlattenOptions(), merged);
        using var model = f.Build(f.Add(new DenseOptions { Units = 1 }, flat));
        model.SetWeight(-1, "kernel", tensor(s_denseWeights).reshape(1, 4));

        var mergedValues = Values(IntermediateModel.From(model, merged.LayerName).Predict(Image()));
        var output = Values(model.Forward(Image()));

        Assert.Equal(type, model.GetLayer(merged.LayerName).TypeName);
        Assert.Equal("(None, 2, 2, 1)", merged.Shape.ToString());
        AssertClose(expected, mergedValues);
        var dense = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            dense += expected[i] * s_denseWeights[i];
        }

        Assert.Equal(dense, Assert.Single(output), 1e-4);
    }

    [Fact]
    public void Concatenate_JoinsConvolutionAndRescalingAlongChannels_InKerasFlattenOrder()
    {
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(2, 2, 1));
        var conv = f.Add(new Conv2DOptions { Filters = 2, KernelSize = 1 }, f.Input);
        var doubled = f.Add(new RescalingOptions { Scale = 2 }, f.Input);
        var joined = f.Add(new ConcatenateOptions(), conv, doubled);
        using var model = f.Build(f.Add(new FlattenOptions(), joined));
        model.SetWeight(1, "kernel", tensor(new[] { 1f, -1f }).reshape(2, 1, 1, 1));
        model.SetWeight(1, "bias", tensor(new[] { 0f, 1f }));

        // Channels per pixel x: (x, 1 − x, 2x); Flatten reads pixel by pixel with the channel fastest, as Keras.
        var output = Values(model.Forward(Image()));

        Assert.Equal("(None, 2, 2, 3)", joined.Shape.ToString());
        AssertClose([1f, 0f, 2f, 2f, -1f, 4f, 3f, -2f, 6f, 4f, -3f, 8f], output);
    }

    [Fact]
    public void Concatenate_OfFlatInputs_AddsTheirUnits()
    {
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(2, 2, 1));
        var a = f.Add(new FlattenOptions(), f.Input);
        var b = f.Add(new DenseOptions { Units = 3 }, a);
        var joined = f.Add(new ConcatenateOptions(), a, b);
        using var model = f.Build(joined);
        model.SetWeight(2, "kernel", tensor(new[] { 1f, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 }).reshape(3, 4));
        model.SetWeight(2, "bias", tensor(new[] { 0f, 0.5f, 0f }));

        Assert.Equal("(None, 7)", joined.Shape.ToString());
        AssertClose([1f, 2f, 3f, 4f, 1f, 4.5f, 10f], Values(model.Forward(Image())));
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Subtract")]
    [InlineData("Multiply")]
    [InlineData("Average")]
    [InlineData("Maximum")]
    [InlineData("Minimum")]
    public void ElementwiseMerge_OfDifferentShapes_NamesBothLayersTheirShapesAndAFix(string type)
    {
        var f = new FunctionalBuilder(new ImageShape(4, 4, 1));
        var wide = f.Add(new Conv2DOptions { Filters = 2, KernelSize = 1, Name = "wide" }, f.Input);
        var narrow = f.Add(new RescalingOptions { Scale = 2, Name = "narrow" }, f.Input);

        var ex = Assert.Throws<ArgumentException>(() => f.Add(Merge(type), wide, narrow));

        Assert.Contains($"({type})", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'wide' (None, 4, 4, 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'narrow' (None, 4, 4, 1)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1×1 Conv2D", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, f.Count); // the failed call added nothing
    }

    [Fact]
    public void Concatenate_OfDifferentSizes_NamesBothLayersTheirShapesAndAFix()
    {
        var f = new FunctionalBuilder(new ImageShape(4, 4, 1));
        var pooled = f.Add(new MaxPooling2DOptions(), f.Input);
        var full = f.Add(new RescalingOptions { Scale = 2 }, f.Input);
        var flat = f.Add(new FlattenOptions(), f.Input);

        var sizes = Assert.Throws<ArgumentException>(() => f.Add(new ConcatenateOptions(), pooled, full));
        var kinds = Assert.Throws<ArgumentException>(() => f.Add(new ConcatenateOptions(), full, flat));

        Assert.Contains("'max_pooling2d' (None, 2, 2, 1) and 'rescaling' (None, 4, 4, 1)", sizes.Message, StringComparison.Ordinal);
        Assert.Contains("Resize one branch", sizes.Message, StringComparison.Ordinal);
        Assert.Contains("'rescaling' (None, 4, 4, 1) and 'flatten' (None, 16)", kinds.Message, StringComparison.Ordinal);
        Assert.Contains("Flatten or globally pool", kinds.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Subtract_TakesExactlyTwoInputs()
    {
        var f = new FunctionalBuilder(new ImageShape(2, 2, 1));
        var a = f.Add(new RescalingOptions { Scale = 2 }, f.Input);

        var three = Assert.Throws<ArgumentException>(() => f.Add(new SubtractOptions(), a, a, f.Input));
        var one = Assert.Throws<ArgumentException>(() => f.Add(new SubtractOptions(), a));

        Assert.Contains("takes exactly 2 inputs, but 3 were given", three.Message, StringComparison.Ordinal);
        Assert.Contains("takes exactly 2 inputs, but 1 was given", one.Message, StringComparison.Ordinal);
        Assert.Equal("subtract", f.Add(new SubtractOptions(), a, f.Input).LayerName);
    }

    [Fact]
    public void GraphWithEveryMerge_SavedAndLoaded_GivesIdenticalOutputs()
    {
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(5, 4, 2)).WithSeed(7);
        var a = f.Add(new Conv2DOptions { Filters = 3, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU }, f.Input);
        var b = f.Add(new Conv2DOptions { Filters = 3, KernelSize = 1 }, f.Input);
        var c = f.Add(new RescalingOptions { Scale = 0.5, Offset = -0.25 }, b);
        LayerOutput[] merges =
        [
            f.Add(new AddOptions(), a, b, c),
            f.Add(new SubtractOptions(), a, c),
            f.Add(new MultiplyOptions(), b, c, a),
            f.Add(new AverageOptions(), a, b),
            f.Add(new MaximumOptions(), c, a, b),
            f.Add(new MinimumOptions(), b, c),
        ];
        var joined = f.Add(new ConcatenateOptions(), merges);
        var flat = f.Add(new FlattenOptions(), joined);
        using var model = f.Build(f.Add(new DenseOptions { Units = 3, Activation = Activation.Softmax }, flat));
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;

        using var loaded = Model.Load(stream);
        var input = randn([3, 2, 5, 4], generator: new Generator(11));

        Assert.Equal(model.Layers.Select(l => l.Options), loaded.Layers.Select(l => l.Options));
        Assert.Equal(model.Layers.Select(l => string.Join(",", l.Inputs.Select(i => i.Name))), loaded.Layers.Select(l => string.Join(",", l.Inputs.Select(i => i.Name))));
        Assert.Equal("(None, 5, 4, 18)", loaded.GetLayer("concatenate").OutputShape.ToString());
        Assert.True(model.Forward(input).equal(loaded.Forward(input)).all().item<bool>());
        foreach (var merge in merges)
        {
            using var expected = IntermediateModel.From(model, merge.LayerName).Predict(input);
            using var actual = IntermediateModel.From(loaded, merge.LayerName).Predict(input);
            Assert.True(expected.equal(actual).all().item<bool>(), merge.LayerName);
        }
    }

    private static MergeOptions Merge(string type) => type switch
    {
        "Add" => new AddOptions(),
        "Subtract" => new SubtractOptions(),
        "Multiply" => new MultiplyOptions(),
        "Average" => new AverageOptions(),
        "Maximum" => new MaximumOptions(),
        "Minimum" => new MinimumOptions(),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static Tensor Image() => tensor(new[] { 1f, 2f, 3f, 4f }).reshape(1, 1, 2, 2);

    private static float[] Values(Tensor t) => t.contiguous().flatten().data<float>().ToArray();

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }
}
