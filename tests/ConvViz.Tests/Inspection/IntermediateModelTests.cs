// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class IntermediateModelTests
{
    [Fact]
    public void Predict_LayerIndex5_IsTheBlogsLayer6Activation()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var input = rand(1, 3, 150, 150);

        using var activation = IntermediateModel.From(model, layerIndex: 5).Predict(input);
        using var keras = ActivationExport.ToKerasOrder(activation);

        Assert.Equal([1L, 64L, 33L, 33L], activation.shape);
        Assert.Equal([1L, 33L, 33L, 64L], keras.shape);
        Assert.True(activation.min().item<float>() >= 0, "layer 5 is a ReLU conv");
    }

    [Fact]
    public void Predict_MatchesTheFullNetworksPrefix()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var input = rand(2, 3, 150, 150);

        using var viaIntermediate = IntermediateModel.From(model, -1).Predict(input);
        using var viaForward = model.Forward(input);

        Assert.True(viaIntermediate.allclose(viaForward, rtol: 1e-5, atol: 1e-6));
    }

    [Theory]
    [InlineData(23)]
    [InlineData(-24)]
    public void From_IndexOutOfRange_ThrowsWithValidRange(int index)
    {
        using var model = BlogModel.CreateBuilder().Build();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => IntermediateModel.From(model, index));

        Assert.Contains("0..22", ex.Message);
    }

    [Fact]
    public void From_LayerName_SelectsTheSameLayerAsItsIndex()
    {
        using var model = BlogModel.CreateBuilder().Build();

        var byName = IntermediateModel.From(model, "conv2d_3");

        Assert.Equal(5, byName.Layer.Index);
        Assert.Equal("conv2d_3", model.Layers[5].Name);
    }

    [Fact]
    public void From_UnknownName_ThrowsListingTheLayers()
    {
        using var model = BlogModel.CreateBuilder().Build();

        var ex = Assert.Throws<ArgumentException>(() => IntermediateModel.From(model, "conv9"));

        Assert.Contains("5:conv2d_3", ex.Message);
    }

    [Fact]
    public void Run_SeveralLayers_MatchesSingleLayerPredictionsOnABatch()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var input = rand(new long[] { 3, 3, 150, 150 }, generator: new Generator(7));

        using var set = IntermediateModel.From(model, ["max_pooling2d_1", "conv2d"]).Run(input);

        Assert.Equal(["conv2d", "max_pooling2d_1"], set.Keys);
        using var first = IntermediateModel.From(model, 0).Predict(input);
        using var pool = IntermediateModel.From(model, 4).Predict(input);
        Assert.True(set["conv2d"].allclose(first));
        Assert.True(set["max_pooling2d_1"].allclose(pool));
        Assert.Equal([3L, 32L, 35L, 35L], set.GetByIndex(4).shape);
    }

    [Fact]
    public void Predict_SeveralLayers_ThrowsNamingTheLayersAndRun()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var intermediate = IntermediateModel.From(model, [0, 4]);
        var input = rand(1, 3, 150, 150);

        var ex = Assert.Throws<InvalidOperationException>(() => { using var _ = intermediate.Predict(input); });

        Assert.Contains("conv2d (index 0), max_pooling2d_1 (index 4)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Run(", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ActivationSet", ex.Message, StringComparison.Ordinal);
        using var image = new Image<Rgb24>(150, 150);
        Assert.Throws<InvalidOperationException>(() => { using var _ = intermediate.Predict(image, new ImagePreprocessing { TargetHeight = 150, TargetWidth = 150 }); });
        Assert.Throws<InvalidOperationException>(() => { using var _ = intermediate.Predict("no-such-file.png"); });
    }

    [Fact]
    public void Predict_DuplicateIndicesOfOneLayer_IsOneLayer()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var input = rand(1, 3, 150, 150);

        using var twice = IntermediateModel.From(model, [5, 5]).Predict(input);

        Assert.Equal([1L, 64L, 33L, 33L], twice.shape);
    }

    [Fact]
    public void Run_StopsAtTheDeepestRequestedLayer()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var calls = new int[model.Layers.Count];
        for (var i = 0; i < calls.Length; i++)
        {
            var index = i;
            model.LayerModules[i].register_forward_pre_hook((_, x) =>
            {
                calls[index]++;
                return x;
            });
        }

        using var set = IntermediateModel.From(model, [0, 2]).Run(rand(1, 3, 150, 150));

        Assert.Equal([1, 1, 1], calls[..3]);
        Assert.All(calls[3..], c => Assert.Equal(0, c));
    }

    [Fact]
    public void Run_InTrainingMode_UsesEvalModeAndRestoresTraining()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var input = rand(2, 3, 150, 150);
        using var expected = IntermediateModel.From(model, -1).Predict(input);
        model.Module.train();

        using var set = IntermediateModel.From(model, [-1]).Run(input);

        Assert.True(model.Module.training);
        Assert.True(set.Values.Single().allclose(expected), "dropout must be off");
        Assert.False(set.Values.Single().requires_grad);
    }

    [Fact]
    public void GetByIndex_NegativeIndex_CountsFromTheEndOfTheModelAsFrom()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var count = model.Layers.Count;
        using var set = IntermediateModel.From(model, [5, -1]).Run(rand(1, 3, 150, 150));

        Assert.Same(set.GetByIndex(count - 1), set.GetByIndex(-1));
        Assert.Same(set.GetByIndex(5), set.GetByIndex(5 - count));
        Assert.Equal(IntermediateModel.From(model, -1).Layer.Name, set.Layers[^1].Name);
        var missing = Assert.Throws<KeyNotFoundException>(() => set.GetByIndex(-2));
        Assert.Contains($"layer {count - 2} of the model's {count}", missing.Message, StringComparison.Ordinal);
        Assert.Contains($"it holds: 5, {count - 1}.", missing.Message, StringComparison.Ordinal);
        var beyond = Assert.Throws<KeyNotFoundException>(() => set.GetByIndex(-count - 1));
        Assert.Contains($"-{count}..-1", beyond.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_ActivationSet_FreesItsTensors()
    {
        using var model = BlogModel.CreateBuilder().Build();
        using var input = rand(1, 3, 150, 150);
        var set = IntermediateModel.From(model, [0, 1]).Run(input);
        var tensor = set["conv2d"];

        set.Dispose();

        Assert.True(tensor.IsInvalid);
        Assert.Throws<ObjectDisposedException>(() => set["conv2d"]);
    }

    [Fact]
    public void Run_InsideNoScope_LeavesOnlyTheReturnedTensorsAlive()
    {
        using var model = BlogModel.CreateBuilder().Build();
        using var input = rand(1, 3, 150, 150);
        var intermediate = IntermediateModel.From(model, [0, 3, 5]);
        using (intermediate.Run(input))
        {
        }

        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var set = intermediate.Run(input))
        {
            Assert.Equal(before + 3, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Predict_Image_AppliesThePreprocessing()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(4, 5, 3).AddConv2D(2, 1).Build();
        using var image = new Image<Rgb24>(5, 4, new Rgb24(255, 51, 0));
        var preprocessing = new ImagePreprocessing { TargetHeight = 4, TargetWidth = 5, Rescale = 1.0 / 255 };
        using var red = Scalars.Create(1f);
        using var green = Scalars.Create(0.2f);
        var expectedInput = stack([full(4, 5, red), full(4, 5, green), zeros(4, 5)]).unsqueeze(0);

        using var viaImage = IntermediateModel.From(model, 0).Predict(image, preprocessing);
        using var viaTensor = IntermediateModel.From(model, 0).Predict(expectedInput);

        Assert.True(viaImage.allclose(viaTensor, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Predict_ImageOfAnotherSize_IsResizedByThePreprocessing()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(4, 5, 3).AddConv2D(2, 1).Build();
        using var image = new Image<Rgb24>(10, 8, new Rgb24(255, 51, 0));
        using var small = new Image<Rgb24>(5, 4, new Rgb24(255, 51, 0));
        var preprocessing = new ImagePreprocessing { TargetHeight = 4, TargetWidth = 5, Rescale = 1.0 / 255 };

        using var fromLarge = IntermediateModel.From(model, 0).Predict(image, preprocessing);
        using var fromSmall = IntermediateModel.From(model, 0).Predict(small, preprocessing);

        Assert.Equal([1L, 2L, 4L, 5L], fromLarge.shape);
        Assert.True(fromLarge.allclose(fromSmall), "a uniform image gives the same activations at any source size");
    }

    [Fact]
    public void Predict_PreprocessingOfAnotherShape_ThrowsNamingBothShapes()
    {
        using var model = new SequentialBuilder(4, 5, 3).AddConv2D(2, 1).Build();
        using var image = new Image<Rgb24>(8, 8);

        var ex = Assert.Throws<ArgumentException>(() => { using var _ = IntermediateModel.From(model, 0).Predict(image, new ImagePreprocessing()); });

        Assert.Contains("(None, 256, 256, 3)", ex.Message);
        Assert.Contains("(None, 4, 5, 3)", ex.Message);
    }

    [Fact]
    public void BlogLastSection_IsThreeLines()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var input = rand(1, 3, 150, 150);
        var path = Path.Combine(Path.GetTempPath(), $"convviz-layer6-{Environment.ProcessId}.png");
        try
        {
            // R: keras_model(inputs = model$input, outputs = get_layer(model, index = 6)$output) |> predict(img), then image() per channel.
            var layer6 = IntermediateModel.From(model, layerIndex: 5);
            using var activation = layer6.Predict(input);
            FeatureMapGrid.Save(activation, path);

            using var grid = Image.Load<Rgb24>(path);
            Assert.Equal((8 * 66) + 9, grid.Width);   // 64 channels → 8 columns of 33×33 maps upscaled ×2, 1-pixel padding
        }
        finally
        {
            File.Delete(path);
        }
    }
}
