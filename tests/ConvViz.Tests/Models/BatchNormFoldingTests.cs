// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using static ConvViz.Tests.Models.FoldingAssertions;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// The graph executor's inference-time fold of BatchNormalization into the convolution before it: the same values as
/// the layers run one by one (to float rounding), computed from the current weights after every kind of change, and
/// never applied where a layer's own value or a gradient is needed.
/// </summary>
public sealed class BatchNormFoldingTests
{
    private static readonly (int Layer, string Weight, int Seed)[] s_batchNormWeights =
    [
        (1, "gamma", 21), (1, "beta", 22), (1, "moving_mean", 23), (1, "moving_variance", 24),
        (4, "gamma", 25), (4, "beta", 26), (4, "moving_mean", 27), (4, "moving_variance", 28),
    ];

    /// <summary>conv (linear, bias) → bn → relu → conv (linear) → bn → flatten → dense softmax, with non-trivial statistics.</summary>
    private static Model Net()
    {
        var model = new SequentialBuilder(8, 8, 3).WithSeed(5)
            .AddConv2D(4, 3)
            .AddBatchNormalization()
            .AddReLU()
            .AddConv2D(new Conv2DOptions { Filters = 6, KernelSize = new Size2D(3, 3), UseBias = false })
            .AddBatchNormalization()
            .AddFlatten()
            .AddDense(3, Activation.Softmax)
            .Build();
        foreach (var (layer, weight, seed) in s_batchNormWeights)
        {
            var channels = model.Layers[layer].OutputShape.Channels;
            using var values = rand([channels], generator: new Generator().manual_seed(seed));
            using var positive = values.add(Scalars.Half, Scalars.One);
            using var centred = values.mul(Scalars.Two).sub(positive); // values − 0.5, in [−0.5, 0.5)
            model.SetWeight(layer, weight, weight == "moving_variance" || weight == "gamma" ? positive : centred);
        }

        return model;
    }

    private static Tensor Images(int seed) => rand([5, 3, 8, 8], generator: new Generator().manual_seed(seed));

    private static bool Folded(Model model, int layer) => ((Conv2DModule)model.LayerModules[layer]).HoldsFoldedWeights;

    [Fact]
    public void Predict_folds_both_convolutions_and_equals_conv_then_batch_norm_computed_by_hand()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        var images = Images(1);

        // By hand, in float64, from the weights: conv → (x − mean) / √(var + ε) · γ + β → relu → conv → bn → dense.
        using var epsilon = Scalars.Create(1e-3);
        Tensor Weight(int layer, string name) => model.GetWeight(layer, name).to_type(ScalarType.Float64);
        Tensor Normalize(Tensor x, int layer) =>
            x.sub(Weight(layer, "moving_mean").view(1, -1, 1, 1))
             .div(Weight(layer, "moving_variance").add(epsilon, Scalars.One).sqrt().view(1, -1, 1, 1))
             .mul(Weight(layer, "gamma").view(1, -1, 1, 1)).add(Weight(layer, "beta").view(1, -1, 1, 1), Scalars.One);
        var x = images.to_type(ScalarType.Float64);
        var h = Normalize(nn.functional.conv2d(x, Weight(0, "kernel"), Weight(0, "bias")), 1).relu();
        h = Normalize(nn.functional.conv2d(h, Weight(3, "kernel")), 4);
        var flat = h.permute(0, 2, 3, 1).reshape(5, -1); // Keras' flatten order (height, width, channels)
        var expected = nn.functional.softmax(flat.matmul(Weight(6, "kernel").t()).add(Weight(6, "bias"), Scalars.One), 1).to_type(ScalarType.Float32);

        var actual = model.Predict(images);

        Assert.True(Folded(model, 0) && Folded(model, 3), "Predict did not fold the batch normalizations");
        Assert.True(MaxDifference(expected, actual) < 2e-6, $"folded prediction differs from the hand computation by {MaxDifference(expected, actual):E2}");
        Assert.True(MaxDifference(Unfolded(model, images), actual) < 2e-6);
    }

    [Fact]
    public void Requested_convolution_values_are_computed_unfolded_and_bit_identical()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        using var reference = Net();
        reference.FoldsBatchNorm = false;
        var images = Images(2);

        using var activations = IntermediateModel.From(model, [0, 1, 3, 4, 6]).Run(images);
        using var expected = IntermediateModel.From(reference, [0, 1, 3, 4, 6]).Run(images);

        Assert.False(Folded(model, 0) || Folded(model, 3));
        foreach (var name in expected.Keys)
        {
            Assert.True(BitIdentical(expected[name], activations[name]), $"layer {name} differs");
        }

        // Only the second convolution's value requested: the first one folds, the requested one does not.
        using var second = IntermediateModel.From(model, [3]).Run(images);
        Assert.True(Folded(model, 0));
        Assert.False(Folded(model, 3));
        Assert.True(MaxDifference(expected.GetByIndex(3), second.GetByIndex(3)) < 1e-5);
    }

    [Fact]
    public void Gradients_with_respect_to_the_input_are_bit_identical_with_and_without_folding()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        using var reference = Net();
        reference.FoldsBatchNorm = false;
        var images = Images(3);

        using var saliency = Saliency.Compute(model, images[..1], 2);
        using var expected = Saliency.Compute(reference, images[..1], 2);

        Assert.True(BitIdentical(expected.Maps, saliency.Maps));
        Assert.False(Folded(model, 0) || Folded(model, 3));
    }

    [Fact]
    public void Folded_weights_follow_SetWeight_Fit_precision_layout_and_freezing()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        var images = Images(4);
        void AssertMatchesUnfolded(string after)
        {
            using var folded = model.Predict(images);
            using var unfolded = Unfolded(model, images);
            var tolerance = model.Precision == Precision.BFloat16 ? 2e-2 : 2e-6;
            Assert.True(Folded(model, 0), $"no fold after {after}");
            Assert.True(MaxDifference(folded, unfolded) < tolerance, $"after {after}: folded and unfolded differ by {MaxDifference(folded, unfolded):E2}");
        }

        AssertMatchesUnfolded("building");
        using var before = model.Predict(images);

        foreach (var (layer, weight, seed) in new[] { (0, "kernel", 31), (0, "bias", 32), (1, "moving_variance", 33), (4, "beta", 34), (3, "kernel", 35) })
        {
            using var value = rand(model.GetWeight(layer, weight).shape, generator: new Generator().manual_seed(seed)).add(Scalars.Half, Scalars.One);
            model.SetWeight(layer, weight, value);
            AssertMatchesUnfolded($"SetWeight({layer}, {weight})");
        }

        // Fit: the kernels change (optimizer steps) and so do the moving statistics (batch-norm training mode).
        using var labels = nn.functional.one_hot(tensor(new long[] { 0, 1, 2, 0, 1 }), 3).to_type(ScalarType.Float32);
        using var data = new InMemoryDataset(images, labels, 5);
        model.Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.05));
        model.Fit(data, new FitOptions { Epochs = 2, Seed = 1, Verbosity = TrainingVerbosity.Silent });
        AssertMatchesUnfolded("Fit");

        model.Freeze();
        AssertMatchesUnfolded("Freeze");
        model.Layout = MemoryLayout.ChannelsFirst;
        AssertMatchesUnfolded("Layout = ChannelsFirst");
        model.Layout = MemoryLayout.ChannelsLast;
        if (ConvVizRuntime.IsBFloat16Supported)
        {
            model.Precision = Precision.BFloat16;
            AssertMatchesUnfolded("Precision = BFloat16");
            model.Precision = Precision.Float32;
            AssertMatchesUnfolded("Precision = Float32");
        }

        using var after = model.Predict(images);
        Assert.True(MaxDifference(before, after) > 1e-3, "the weight changes should have changed the prediction");
    }
}
