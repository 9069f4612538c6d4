// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// Reshape against Keras' channels-last reshape computed by hand. The input is a 2 × 3 × 2 (height, width, channels)
/// map whose value at (h, w, c) is 100h + 10w + c, so Keras reads it as L = [0, 1, 10, 11, 20, 21, 100, 101, 110, 111,
/// 120, 121] (channel fastest) and writes L back in that order into the target shape.
/// </summary>
public sealed class ReshapeTests
{
    private static readonly float[] s_kerasOrder = [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121];

    [Theory]
    [InlineData(new[] { 3, 2, 2 })]
    [InlineData(new[] { -1, 2, 2 })]
    [InlineData(new[] { 3, -1, 2 })]
    public void ToFeatureMap_ReshapesInKerasOrder(int[] target)
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(2, 3, 2).Add(new ReshapeOptions { TargetShape = target }).Build();

        var output = model.Forward(Input());

        // Keras' output (h', w', c') = L[4h' + 2w' + c']; ConvViz returns it as [N, C, H, W]:
        // channel 0 = L[0], L[2], L[4], L[6], L[8], L[10]; channel 1 = L[1], L[3], …, L[11].
        Assert.Equal("(None, 3, 2, 2)", model.OutputShape.ToString());
        Assert.Equal([1L, 2, 3, 2], output.shape);
        Assert.Equal([0f, 10, 20, 100, 110, 120, 1, 11, 21, 101, 111, 121], Values(output));
    }

    [Fact]
    public void ToVector_IsKerasFlattenOrder_AndBackToTheMapIsTheInput()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(2, 3, 2)
            .Add(new ReshapeOptions { TargetShape = [-1] })
            .Add(new ReshapeOptions { TargetShape = [2, 3, 2] })
            .Build();

        using var flat = ConvViz.Inspection.IntermediateModel.From(model, 0).Predict(Input());
        var back = model.Forward(Input());

        Assert.Equal("(None, 12)", model.Layers[0].OutputShape.ToString());
        Assert.Equal(s_kerasOrder, Values(flat));
        Assert.True(back.equal(Input()).all().item<bool>());
    }

    [Fact]
    public void VectorToFeatureMap_FillsPixelByPixel()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(2, 3, 2).AddFlatten().Add(new ReshapeOptions { TargetShape = [1, 2, 6] }).Build();

        var output = model.Forward(Input());

        // (0, w', c') = L[6w' + c']: channel c' holds L[c'] and L[6 + c'].
        Assert.Equal([1L, 6, 1, 2], output.shape);
        Assert.Equal([0f, 100, 1, 101, 10, 110, 11, 111, 20, 120, 21, 121], Values(output));
    }

    [Fact]
    public void ElementCountMismatch_NamesTheLayerAndBothShapes()
    {
        var wrong = Assert.Throws<ArgumentException>(() => new SequentialBuilder(2, 3, 2).Add(new ReshapeOptions { TargetShape = [5, 5, 1] }));
        var notDivisible = Assert.Throws<ArgumentException>(() => new SequentialBuilder(2, 3, 2).Add(new ReshapeOptions { TargetShape = [5, -1, 1] }));

        Assert.Contains("'reshape' (Reshape)", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 2, 3, 2)", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 5, 5, 1)", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 5, -1, 1)", notDivisible.Message, StringComparison.Ordinal);
        Assert.Contains("not a multiple of 5", notDivisible.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 2, 0, 1 })]
    [InlineData(new[] { -1, -1, 3 })]
    [InlineData(new[] { 2, -2, 3 })]
    [InlineData(new[] { 3, 4 })]
    public void BadTargetShape_ThrowsNamingTheOption(int[] target)
    {
        Assert.Equal("TargetShape", Assert.Throws<ArgumentException>(() => new ReshapeOptions { TargetShape = target }).ParamName);
    }

    [Fact]
    public void Options_CopyTheShape_CompareByValue_AndSurviveSaveAndLoad()
    {
        using var scope = NewDisposeScope();
        int[] target = [3, -1, 2];
        var options = new ReshapeOptions { TargetShape = target };
        target[0] = 99;

        Assert.Equal([3, -1, 2], options.TargetShape);
        Assert.Equal(new ReshapeOptions { TargetShape = [3, -1, 2] }, options);
        Assert.Equal(new ReshapeOptions { TargetShape = [3, -1, 2] }.GetHashCode(), options.GetHashCode());
        Assert.NotEqual(new ReshapeOptions { TargetShape = [3, 2, 2] }, options);

        using var model = new SequentialBuilder(2, 3, 2).WithSeed(2).Add(options).AddConv2D(2, 1).AddFlatten().AddDense(2).Build();
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        using var loaded = Model.Load(stream);

        Assert.Equal(options with { Name = "reshape" }, loaded.Layers[0].Options);
        Assert.True(model.Forward(Input()).equal(loaded.Forward(Input())).all().item<bool>());
    }

    /// <summary>The input as [1, C, H, W]: value 100h + 10w + c at channel c, row h, column w.</summary>
    private static Tensor Input()
    {
        var values = new float[12];
        for (var c = 0; c < 2; c++)
        {
            for (var h = 0; h < 2; h++)
            {
                for (var w = 0; w < 3; w++)
                {
                    values[(c * 6) + (h * 3) + w] = (100 * h) + (10 * w) + c;
                }
            }
        }

        return tensor(values).reshape(1, 2, 2, 3);
    }

    private static float[] Values(Tensor t) => t.contiguous().flatten().data<float>().ToArray();
}
