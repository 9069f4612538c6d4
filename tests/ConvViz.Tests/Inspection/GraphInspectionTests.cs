// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Visualization;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

/// <summary>
/// Inspection on graph models: Grad-CAM inside a residual block equals a reference written by hand, and on chains
/// every attribution equals the numbers of the former "run layers 0..k, then k+1..end" implementation bit for bit.
/// </summary>
public sealed class GraphInspectionTests
{
    [Theory]
    [InlineData("branch_a", 0)]   // inside the block: the skip connection from stem bypasses it
    [InlineData("branch_b", 2)]
    [InlineData("stem", 1)]       // read by both the branch and the skip connection
    [InlineData("block_out", 2)]
    public void GradCam_at_a_layer_of_a_residual_block_equals_the_hand_computed_map(string layer, int classIndex)
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        var input = GraphModels.Input(1, seed: 11);

        using var result = GradCam.Compute(model, input, classIndex, new GradCamOptions { LayerName = layer, Normalize = false });
        var actual = result.Maps[0];

        var expected = HandGradCam(model, input, layer, classIndex);
        Assert.True(expected.abs().max().item<float>() > 0, "the reference map is all zero: the test would not discriminate");
        Assert.True(allclose(actual, expected, rtol: 1e-4, atol: 1e-6), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Saliency_on_a_graph_is_the_input_gradient_of_the_hand_computed_score()
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        var input = GraphModels.Input(1, seed: 11);

        using var result = Saliency.Compute(model, input, 1);
        var actual = result.Maps[0];

        var leaf = input.detach().requires_grad_(true);
        Tensor gradient;
        using (enable_grad())
        {
            var score = GraphModels.ResidualByHand(model, leaf)["dense_logits"][0, 1];
            gradient = autograd.grad([score], [leaf])[0];
        }

        var magnitude = gradient.abs().amax(1)[0];
        var expected = magnitude / magnitude.max(); // Saliency's map is in [0, 1]
        Assert.True(allclose(actual, expected, rtol: 1e-4, atol: 1e-7), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Default_GradCam_layer_of_a_residual_network_is_the_last_block_output_not_a_bypassed_convolution()
    {
        using var model = GraphModels.Residual();

        Assert.Equal("block_out", GradCam.DefaultLayer(model).Name);
    }

    [Fact]
    public void Default_GradCam_layer_after_a_block_is_the_last_convolution_of_the_chain_that_follows()
    {
        var f = new FunctionalBuilder(new ImageShape(8, 8, 3)).WithSeed(1);
        var stem = f.Add(new Conv2DOptions { Filters = 4, KernelSize = 3, Padding = ConvViz.Models.Layers.Padding.Same }, f.Input);
        var branch = f.Add(new Conv2DOptions { Filters = 4, KernelSize = 3, Padding = ConvViz.Models.Layers.Padding.Same }, stem);
        var add = f.Add(new AddOptions(), stem, branch);
        var head = f.Add(new Conv2DOptions { Name = "head", Filters = 2, KernelSize = 1 }, add);
        var dropout = f.Add(new DropoutOptions { Rate = 0.5 }, head);
        var pool = f.Add(new GlobalMaxPooling2DOptions(), dropout);
        using var model = f.Build(f.Add(new DenseOptions { Units = 2 }, pool));

        Assert.Equal("head", GradCam.DefaultLayer(model).Name);
    }

    [Fact]
    public void Activation_maximization_feature_maps_and_filters_work_on_a_graph()
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        var input = GraphModels.Input(1, seed: 11);

        using var result = ActivationMaximization.RunLayer(model, "add", [0, 1], new ActivationMaximizationOptions { Steps = 20 });
        Assert.All(Enumerable.Range(0, 2), i => Assert.True(result.FinalActivations[i] > result.InitialActivations[i], $"channel {i} did not grow"));

        using var activations = IntermediateModel.From(model, ["add"]).Run(input);
        using var grid = FeatureMapGrid.RenderForLayer(activations["add"], model.GetLayer("add"));
        Assert.True(grid.Width > 16 && grid.Height > 16);

        using var filters = FilterGrid.RenderFirstLayer(model);
        Assert.True(filters.Width > 0);
        Assert.Equal("stem", model.Layers.First(l => l.Options.HasFilters).Name);
    }

    [Fact]
    public void On_a_chain_every_attribution_equals_the_former_layer_range_implementation_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(12, 12, 3).WithSeed(5)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddMaxPooling2D()
            .AddConv2D(6, 3, Activation.ReLU)
            .AddFlatten()
            .AddDropout(0.5)
            .AddDense(3, Activation.Softmax)
            .Build();
        var input = GraphModels.Input(1, seed: 4, height: 12, width: 12);
        var last = model.Layers.Count - 1;

        // The forward pass and the input gradient of the score (what Saliency, SmoothGrad and Integrated Gradients use).
        using (no_grad())
        {
            Assert.Equal(FormerRun(model, input, 0, last, false).data<float>().ToArray(), model.Forward(input).data<float>().ToArray());
        }

        var leaf = input.detach().requires_grad_(true);
        Tensor former, current;
        using (enable_grad())
        {
            former = autograd.grad([FormerRun(model, leaf, 0, last, true)[0, 2]], [leaf])[0];
            current = autograd.grad([model.Run(leaf, [last], new GraphRun { OutputBeforeActivation = true })[0][0, 2]], [leaf])[0];
        }

        Assert.Equal(former.data<float>().ToArray(), current.data<float>().ToArray());

        // Grad-CAM and Grad-CAM++ at both convolutions, normalised as by default.
        foreach (var layer in new[] { 0, 2 })
        {
            foreach (var plusPlus in new[] { false, true })
            {
                var options = new GradCamOptions { LayerName = model.Layers[layer].Name };
                var expected = FormerGradCam(model, input, layer, 1, plusPlus);
                using var result = plusPlus ? GradCamPlusPlus.Compute(model, input, 1, options) : GradCam.Compute(model, input, 1, options);
                var actual = result.Maps[0];
                Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
            }
        }
    }

    /// <summary>The hand-written Grad-CAM of <see cref="GraphModels.Residual"/> at a layer: the layer's value is replaced by a leaf inside the hand pass.</summary>
    private static Tensor HandGradCam(Model model, Tensor input, string layer, int classIndex)
    {
        Tensor? activation = null;
        Tensor gradient;
        using (enable_grad())
        {
            var values = GraphModels.ResidualByHand(model, input, (name, value) =>
            {
                if (name != layer)
                {
                    return value;
                }

                activation = value.detach().requires_grad_(true);
                return activation;
            });
            gradient = autograd.grad([values["dense_logits"][0, classIndex]], [activation!])[0];
        }

        using var noGrad = no_grad();
        var weights = gradient.mean([2, 3], keepdim: true);
        return nn.functional.relu(weights.mul(activation!).sum(1))[0];
    }

    /// <summary>The former loop: layers first..last in order, each on the previous output (the first through the batch boundary).</summary>
    private static Tensor FormerRun(Model model, Tensor x, int first, int last, bool beforeActivation)
    {
        var value = first == 0 ? model.ToNetworkInput(x) : x.alias();
        for (var i = first; i <= last; i++)
        {
            value = beforeActivation && i == last ? model.LayerModules[i].ForwardBeforeActivation(value) : model.LayerModules[i].call(value);
        }

        return value;
    }

    /// <summary>The former Grad-CAM: layers 0..k without gradients, a leaf, then layers k+1..end from it.</summary>
    private static Tensor FormerGradCam(Model model, Tensor input, int layer, int classIndex, bool plusPlus)
    {
        Tensor activation;
        using (no_grad())
        {
            activation = FormerRun(model, input, 0, layer, false);
        }

        Tensor gradient;
        using (enable_grad())
        {
            var leaf = activation.detach().requires_grad_(true);
            var score = FormerRun(model, leaf, layer + 1, model.Layers.Count - 1, true).select(1, classIndex).sum();
            gradient = autograd.grad([score], [leaf])[0];
        }

        using var noGrad = no_grad();
        var weights = plusPlus ? FormerPlusPlusWeights(gradient, activation) : gradient.mean([2, 3], keepdim: true);
        var cam = nn.functional.relu(weights.mul(activation).sum(1, keepdim: true));
        cam = nn.functional.interpolate(cam, size: [input.shape[2], input.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1);
        return GradCam.NormaliseByMax(cam).squeeze(0);
    }

    private static Tensor FormerPlusPlusWeights(Tensor gradient, Tensor activation)
    {
        var g = gradient.to_type(ScalarType.Float64);
        var g2 = g.pow(Scalars.Two);
        var g3 = g2.mul(g);
        var sumA = activation.to_type(ScalarType.Float64).sum([2, 3], keepdim: true);
        var denominator = g2.mul(Scalars.Two).add(sumA.mul(g3), Scalars.One);
        var alpha = where(denominator.ne(Scalars.Zero), g2.div(where(denominator.ne(Scalars.Zero), denominator, ones_like(denominator))), zeros_like(denominator));
        return alpha.mul(nn.functional.relu(g)).sum([2, 3], keepdim: true).to_type(ScalarType.Float32);
    }
}
