// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;
using ConvViz.Data;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using TorchSharp;
using Padding = ConvViz.Models.Layers.Padding;
using static ConvViz.Tests.Models.FoldingAssertions;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// The graph executor's inference-time fusion beyond the BatchNormalization fold: a following ReLU and a residual
/// addition computed inside the convolution (with a kernel prepacked for oneDNN where it can), the same values as the
/// layers run one by one (to float rounding), never across a value that is requested, and rebuilt after every kind of
/// weight, precision or layout change.
/// </summary>
public sealed class ConvolutionFusionTests
{
    private static readonly string[] s_convolutions = ["c1", "c2", "c3", "c4", "c5", "cd"];

    /// <summary>
    /// Two residual blocks as in ResNet: c1 → b1 → r1 (Activation ReLU); c2 → b2 → r2 (Keras ReLU layer); c3 (no bias)
    /// → b3; add1 = r1 + b3 → r3; then a downsampling block: c4 (stride 2) → b4 → r4 → c5 → b5, and the shortcut cd
    /// (1×1, stride 2) → bd, computed after c5 as in torchvision's graph; add2 = b5 + bd → r5; pool; dense softmax.
    /// </summary>
    private static Model Net()
    {
        var f = new FunctionalBuilder(new ImageShape(9, 9, 3)).WithSeed(11);
        LayerOutput Conv(string name, int filters, int kernel, int stride, LayerOutput x, bool bias = true) =>
            f.Add(new Conv2DOptions { Name = name, Filters = filters, KernelSize = kernel, Strides = stride, Padding = Padding.Same, UseBias = bias }, x);
        LayerOutput Norm(string name, LayerOutput x) => f.Add(new BatchNormalizationOptions { Name = name }, x);
        LayerOutput Relu(string name, LayerOutput x) => f.Add(new ActivationOptions { Name = name, Activation = Activation.ReLU }, x);

        var r1 = Relu("r1", Norm("b1", Conv("c1", 8, 3, 1, f.Input)));
        var r2 = f.Add(new ReLUOptions { Name = "r2" }, Norm("b2", Conv("c2", 8, 3, 1, r1)));
        var r3 = Relu("r3", f.Add(new AddOptions { Name = "add1" }, r1, Norm("b3", Conv("c3", 8, 3, 1, r2, bias: false))));
        var b5 = Norm("b5", Conv("c5", 16, 3, 1, Relu("r4", Norm("b4", Conv("c4", 16, 3, 2, r3)))));
        var bd = Norm("bd", Conv("cd", 16, 1, 2, r3));
        var r5 = Relu("r5", f.Add(new AddOptions { Name = "add2" }, b5, bd));
        var pool = f.Add(new GlobalAveragePooling2DOptions { Name = "pool" }, r5);
        var model = f.Build(f.Add(new DenseOptions { Name = "dense", Units = 3, Activation = Activation.Softmax }, pool));

        var seed = 40;
        foreach (var norm in new[] { "b1", "b2", "b3", "b4", "b5", "bd" })
        {
            var layer = Index(model, norm);
            var channels = model.Layers[layer].OutputShape.Channels;
            foreach (var weight in new[] { "gamma", "beta", "moving_mean", "moving_variance" })
            {
                using var values = rand([channels], generator: new Generator().manual_seed(seed++));
                using var positive = values.add(Scalars.Half, Scalars.One);
                using var centred = values.mul(Scalars.Two).sub(positive); // values − 0.5, in [−0.5, 0.5)
                model.SetWeight(layer, weight, weight is "moving_variance" or "gamma" ? positive : centred);
            }
        }

        return model;
    }

    private static int Index(Model model, string name) => model.Layers.Select((l, i) => (l.Name, i)).Single(p => p.Name == name).i;

    private static Conv2DModule Conv(Model model, string name) => (Conv2DModule)model.LayerModules[Index(model, name)];

    private static Tensor Images(int seed) => rand([5, 3, 9, 9], generator: new Generator().manual_seed(seed));

    [Fact]
    public void OneDnn_prepacked_convolutions_pass_their_self_test_on_linux_x64()
    {
        // libtorch's Linux x64 build has oneDNN: there the fused path must be live, or this suite would test only the fallback.
        Assert.True(!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64 || OneDnnConvolution.IsAvailable);
    }

    [Fact]
    public void Predict_fuses_relu_and_residual_additions_and_equals_the_separate_layers()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        var images = Images(1);
        var before = s_convolutions.ToDictionary(c => c, c => Conv(model, c).FusedCalls);

        var fused = model.Predict(images);

        // c1, c2, c4: conv → bn → ReLU; c3: + r1 then ReLU; cd: + b5 (computed before it) then ReLU. c5's addition
        // cannot join it (its other input, bd, comes later), so c5 computes only its batch normalization.
        foreach (var name in new[] { "c1", "c2", "c3", "c4", "cd" })
        {
            Assert.True(Conv(model, name).FusedCalls > before[name], $"{name} did not fuse what follows it");
        }

        Assert.Equal(before["c5"], Conv(model, "c5").FusedCalls);
        foreach (var name in s_convolutions)
        {
            Assert.True(Conv(model, name).HoldsFoldedWeights, $"{name} was not folded");
            Assert.True(OneDnnConvolution.IsAvailable == Conv(model, name).HoldsPrepackedWeights, $"{name}: prepacked {Conv(model, name).HoldsPrepackedWeights}, oneDNN available {OneDnnConvolution.IsAvailable}");
        }

        var unfolded = Unfolded(model, images);
        Assert.True(MaxDifference(unfolded, fused) < 2e-6, $"fused and unfolded predictions differ by {MaxDifference(unfolded, fused):E2}");
        model.FusesConvolutions = false;
        var foldOnly = model.Predict(images);
        Assert.True(MaxDifference(foldOnly, fused) < 2e-6, $"fused and fold-only predictions differ by {MaxDifference(foldOnly, fused):E2}");
    }

    [Fact]
    public void Requested_values_are_never_inside_a_fused_chain()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        using var reference = Net();
        reference.FoldsBatchNorm = false;
        var images = Images(2);
        var all = Enumerable.Range(0, model.Layers.Count).ToArray();
        var before = s_convolutions.Sum(c => Conv(model, c).FusedCalls);

        // Every value requested: nothing folds or fuses, and every value is bit-identical to the layers run one by one.
        using (var activations = IntermediateModel.From(model, all).Run(images))
        using (var expected = IntermediateModel.From(reference, all).Run(images))
        {
            Assert.Equal(before, s_convolutions.Sum(c => Conv(model, c).FusedCalls));
            foreach (var name in expected.Keys)
            {
                Assert.True(BitIdentical(expected[name], activations[name]), $"layer {name} differs");
            }
        }

        // The first addition requested: c3's chain ends there, so r3 runs by itself on exactly the returned value.
        using var partial = IntermediateModel.From(model, [Index(model, "add1"), Index(model, "r3"), Index(model, "dense")]).Run(images);
        using var full = IntermediateModel.From(reference, [Index(model, "add1"), Index(model, "dense")]).Run(images);
        Assert.True(BitIdentical(partial.GetByIndex(Index(model, "add1")).relu(), partial.GetByIndex(Index(model, "r3"))));
        Assert.True(MaxDifference(full.GetByIndex(Index(model, "add1")), partial.GetByIndex(Index(model, "add1"))) < 1e-5);
        Assert.True(MaxDifference(full.GetByIndex(Index(model, "dense")), partial.GetByIndex(Index(model, "dense"))) < 2e-6);
    }

    [Fact]
    public void Gradients_with_respect_to_the_input_are_bit_identical_with_and_without_fusion()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        using var reference = Net();
        reference.FoldsBatchNorm = false;
        var images = Images(3);

        using var saliency = Saliency.Compute(model, images[..1], 2);
        using var expected = Saliency.Compute(reference, images[..1], 2);

        Assert.True(BitIdentical(expected.Maps, saliency.Maps));
    }

    [Fact]
    public void Prepacked_weights_follow_SetWeight_Fit_freezing_layout_and_precision()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        var images = Images(4);
        void AssertMatchesUnfolded(string after, bool prepacked)
        {
            using var fused = model.Predict(images);
            using var unfolded = Unfolded(model, images);
            var tolerance = model.Precision == Precision.BFloat16 ? 2e-2 : 2e-6;
            Assert.True(MaxDifference(fused, unfolded) < tolerance, $"after {after}: fused and unfolded differ by {MaxDifference(fused, unfolded):E2}");
            Assert.Equal(prepacked && OneDnnConvolution.IsAvailable, Conv(model, "c3").HoldsPrepackedWeights);
        }

        AssertMatchesUnfolded("building", true);
        using var before = model.Predict(images);

        foreach (var (layer, weight, seed) in new[] { ("c3", "kernel", 31), ("c1", "bias", 32), ("b3", "moving_variance", 33), ("bd", "beta", 34), ("cd", "kernel", 35) })
        {
            var index = Index(model, layer);
            using var value = rand(model.GetWeight(index, weight).shape, generator: new Generator().manual_seed(seed)).add(Scalars.Half, Scalars.One);
            model.SetWeight(index, weight, value);
            AssertMatchesUnfolded($"SetWeight({layer}, {weight})", true);
        }

        // Fit: the kernels change (optimizer steps) and so do the moving statistics (batch-norm training mode).
        using var labels = nn.functional.one_hot(tensor(new long[] { 0, 1, 2, 0, 1 }), 3).to_type(ScalarType.Float32);
        using var data = new InMemoryDataset(images, labels, 5);
        model.Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.05));
        model.Fit(data, new FitOptions { Epochs = 2, Seed = 1, Verbosity = TrainingVerbosity.Silent });
        AssertMatchesUnfolded("Fit", true);

        model.Freeze();
        AssertMatchesUnfolded("Freeze", true);

        // Channels-first: no prepacked kernel (oneDNN's fused convolution writes channels-last); ReLU and additions in place.
        model.Layout = MemoryLayout.ChannelsFirst;
        AssertMatchesUnfolded("Layout = ChannelsFirst", false);
        model.Layout = MemoryLayout.ChannelsLast;
        AssertMatchesUnfolded("Layout = ChannelsLast", true);
        if (ConvVizRuntime.IsBFloat16Supported)
        {
            model.Precision = Precision.BFloat16;
            AssertMatchesUnfolded("Precision = BFloat16", true);
            model.Precision = Precision.Float32;
            AssertMatchesUnfolded("Precision = Float32", true);
        }

        using var after = model.Predict(images);
        Assert.True(MaxDifference(before, after) > 1e-3, "the weight changes should have changed the prediction");
    }

    /// <summary>The same model's values for <paramref name="layers"/> with the standalone convolutions eager (libtorch's <c>conv2d</c>).</summary>
    private static Tensor[] Eager(Model model, Tensor images, int[] layers, GraphRun? run = null)
    {
        model.PrepacksStandaloneConvolutions = false;
        try
        {
            using var noGrad = no_grad();
            return model.Run(images, layers, run);
        }
        finally
        {
            model.PrepacksStandaloneConvolutions = true;
        }
    }

    /// <summary>Whether two float32 tensors hold the same bit patterns (unlike <see cref="BitIdentical"/>, −0 differs from +0).</summary>
    private static bool SameBits(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) &&
        a.contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits));

    [Fact]
    public void Every_value_pass_runs_each_convolution_prepacked_and_bit_identical_to_eager()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        var images = Images(5);
        var all = Enumerable.Range(0, model.Layers.Count).ToArray();
        var before = s_convolutions.ToDictionary(c => c, c => Conv(model, c).StandaloneCalls);

        using (var activations = IntermediateModel.From(model, all).Run(images))
        {
            foreach (var name in s_convolutions)
            {
                Assert.Equal(OneDnnConvolution.IsAvailable, Conv(model, name).StandaloneCalls > before[name]);
                Assert.Equal(OneDnnConvolution.IsAvailable, Conv(model, name).HoldsPrepackedOwnWeights);
                Assert.False(Conv(model, name).HoldsFoldedWeights, $"{name} folded although its value was requested");
            }

            var eager = Eager(model, images, all);
            for (var i = 0; i < all.Length; i++)
            {
                Assert.True(BitIdentical(eager[i], activations.GetByIndex(i)), $"layer {model.Layers[i].Name} differs from the eager one by {MaxDifference(eager[i], activations.GetByIndex(i)):E2}");
                Assert.True(SameBits(eager[i], activations.GetByIndex(i)), $"layer {model.Layers[i].Name}: the same values, but not the same bits (signed zeros)");
            }
        }

        // A plain prediction (folded, fused) and an every-value pass keep their own prepacked kernels.
        model.Predict(images);
        Assert.Equal(OneDnnConvolution.IsAvailable, Conv(model, "c1").HoldsPrepackedWeights);
        Assert.Equal(OneDnnConvolution.IsAvailable, Conv(model, "c1").HoldsPrepackedOwnWeights);
    }

    [Fact]
    public void Standalone_convolutions_fuse_their_relu_stop_before_activation_and_apply_other_activations()
    {
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(12, 12, 3)).WithSeed(5);
        var c1 = f.Add(new Conv2DOptions { Name = "c1", Filters = 8, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU }, f.Input);
        var c2 = f.Add(new Conv2DOptions { Name = "c2", Filters = 8, KernelSize = 3, Strides = 2, Padding = Padding.Same, Activation = Activation.Tanh, UseBias = false }, c1);
        var c3 = f.Add(new Conv2DOptions { Name = "c3", Filters = 4, KernelSize = 2, Padding = Padding.Same, Activation = Activation.ReLU }, c2);
        using var model = f.Build(c3);
        var images = rand([4, 3, 12, 12], generator: new Generator().manual_seed(6));
        int[] all = [Index(model, "c1"), Index(model, "c2"), Index(model, "c3")];
        var calls = Conv(model, "c3").StandaloneCalls;

        Tensor[] prepacked;
        using (no_grad())
        {
            prepacked = model.Run(images, all);
        }

        var eager = Eager(model, images, all);
        for (var i = 0; i < all.Length; i++)
        {
            Assert.True(BitIdentical(eager[i], prepacked[i]), $"layer {model.Layers[all[i]].Name} differs from the eager one by {MaxDifference(eager[i], prepacked[i]):E2}");
        }

        // c3 (ReLU, asymmetric 'same' padding for its 2×2 kernel) stopped before its activation.
        var beforeActivation = new GraphRun { OutputBeforeActivation = true };
        Tensor z;
        using (no_grad())
        {
            z = model.Run(images, [all[2]], beforeActivation)[0];
        }

        var eagerZ = Eager(model, images, [all[2]], beforeActivation)[0];
        Assert.True(BitIdentical(eagerZ, z));
        Assert.True(z.lt(Scalars.Zero).any().item<bool>(), "the value before ReLU should have negative entries");
        Assert.Equal(OneDnnConvolution.IsAvailable ? calls + 2 : calls, Conv(model, "c3").StandaloneCalls);
    }

    [Fact]
    public void Standalone_prepacked_kernels_follow_SetWeight_and_precision_and_leave_autograd_alone()
    {
        using var scope = NewDisposeScope();
        using var model = Net();
        var images = Images(6);
        var all = Enumerable.Range(0, model.Layers.Count).ToArray();
        void AssertMatchesEager(string after, bool prepacked = true)
        {
            using var inner = NewDisposeScope();
            var calls = s_convolutions.Sum(c => Conv(model, c).StandaloneCalls);
            using var activations = IntermediateModel.From(model, all).Run(images);
            var expectedCalls = prepacked && OneDnnConvolution.IsAvailable ? calls + s_convolutions.Length : calls;
            Assert.Equal(expectedCalls, s_convolutions.Sum(c => Conv(model, c).StandaloneCalls));
            var eager = Eager(model, images, all);
            for (var i = 0; i < all.Length; i++)
            {
                var actual = activations.GetByIndex(i);
                var expected = eager[i];

                // bfloat16: eager conv2d also runs oneDNN on the bfloat16 tensors, so the values agree as in float32.
                Assert.True(BitIdentical(expected, actual), $"after {after}: layer {model.Layers[i].Name} differs from the eager one by {MaxDifference(expected, actual):E2}");
            }
        }

        AssertMatchesEager("building");
        foreach (var (layer, weight, seed) in new[] { ("c3", "kernel", 41), ("c1", "bias", 42), ("cd", "kernel", 43) })
        {
            var index = Index(model, layer);
            using var value = rand(model.GetWeight(index, weight).shape, generator: new Generator().manual_seed(seed)).sub(Scalars.Half);
            model.SetWeight(index, weight, value);
            AssertMatchesEager($"SetWeight({layer}, {weight})");
        }

        model.Layout = MemoryLayout.ChannelsFirst;
        AssertMatchesEager("Layout = ChannelsFirst", prepacked: false);
        Assert.False(Conv(model, "c1").HoldsPrepackedOwnWeights, "channels-first inputs have no prepacked kernel");
        model.Layout = MemoryLayout.ChannelsLast;
        AssertMatchesEager("Layout = ChannelsLast");
        if (ConvVizRuntime.IsBFloat16Supported)
        {
            model.Precision = Precision.BFloat16;
            AssertMatchesEager("Precision = BFloat16");
            model.Precision = Precision.Float32;
            AssertMatchesEager("Precision = Float32");
        }

        // With autograd on (attributions, training), every convolution runs eagerly.
        var before = s_convolutions.Sum(c => Conv(model, c).StandaloneCalls);
        using (enable_grad())
        {
            model.Run(images, all);
        }

        Assert.Equal(before, s_convolutions.Sum(c => Conv(model, c).StandaloneCalls));
    }

    [Fact]
    public void Standalone_prepacked_kernels_are_freed_when_rebuilt_and_on_dispose()
    {
        using var images = Images(7);
        int[] all;
        using (var first = Net())
        {
            all = Enumerable.Range(0, first.Layers.Count).ToArray();
        }

        void RunAll(Model model)
        {
            using var activations = IntermediateModel.From(model, all).Run(images);
        }

        // What a model leaves alive after Dispose without prepacked kernels (whatever the process creates once, too).
        long LeftAfterDispose(bool prepacks)
        {
            var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            var model = Net();
            model.PrepacksStandaloneConvolutions = prepacks;
            RunAll(model);
            model.Dispose();
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }

        LeftAfterDispose(false);
        var baseline = LeftAfterDispose(false);

        using (var model = Net())
        {
            RunAll(model);   // warm-up: builds the prepacked kernels
            var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            RunAll(model);
            Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

            // A changed kernel: the old prepacked one is freed, a new one made, so the count stays the same.
            var index = Index(model, "c2");
            using (var kernel = model.GetWeight(index, "kernel"))
            using (var value = rand(kernel.shape, generator: new Generator().manual_seed(8)))
            {
                model.SetWeight(index, "kernel", value);
            }

            RunAll(model);
            Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            Assert.Equal(OneDnnConvolution.IsAvailable, Conv(model, "c2").HoldsPrepackedOwnWeights);
        }

        // Dispose frees the prepacked kernels: a model that had them leaves no more behind than one that did not.
        Assert.Equal(baseline, LeftAfterDispose(true));
    }

    [Fact]
    public void Blog_model_predictions_and_activations_are_bit_identical_with_prepacked_standalone_convolutions()
    {
        // The blog model: channels-last by default, Conv2D(ReLU) layers and no batch normalization, so every convolution
        // of a plain prediction runs by itself. Batch 1: its last convolution (64 × 16 × 16 input values, 3×3) stays in
        // libtorch's own path, as eager conv2d's; batch 2: all run prepacked.
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().WithSeed(3).Build();
        Assert.Equal(MemoryLayout.ChannelsLast, model.Layout);
        var convolutions = model.LayerModules.OfType<Conv2DModule>().ToArray();
        var all = Enumerable.Range(0, model.Layers.Count).ToArray();
        foreach (var batch in new[] { 1, 2 })
        {
            var images = rand([batch, 3, 150, 150], generator: new Generator().manual_seed(batch));
            var calls = convolutions.Select(c => c.StandaloneCalls).ToArray();
            var prediction = model.Predict(images);
            var ran = convolutions.Select((c, k) => c.StandaloneCalls > calls[k]).ToArray();
            Assert.Equal(OneDnnConvolution.IsAvailable ? (batch == 1 ? [true, true, true, true, false] : [true, true, true, true, true]) : new bool[5], ran);

            model.PrepacksStandaloneConvolutions = false;
            var eager = model.Predict(images);
            model.PrepacksStandaloneConvolutions = true;
            Assert.True(SameBits(eager, prediction), $"batch {batch}: predictions differ by {MaxDifference(eager, prediction):E2}");

            using var activations = IntermediateModel.From(model, all).Run(images);
            var eagerActivations = Eager(model, images, all);
            for (var i = 0; i < all.Length; i++)
            {
                Assert.True(SameBits(eagerActivations[i], activations.GetByIndex(i)), $"batch {batch}: layer {model.Layers[i].Name} differs by {MaxDifference(eagerActivations[i], activations.GetByIndex(i)):E2}");
            }
        }
    }
}
