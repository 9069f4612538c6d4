// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

/// <summary>
/// Frozen layers (Keras' <c>trainable = FALSE</c>): their weights do not move in Fit, a frozen BatchNormalization runs
/// in inference mode, the optimizer covers only trainable parameters and keeps the moments of those that stay
/// trainable across Unfreeze, and resuming a saved run with frozen layers continues exactly.
/// </summary>
public sealed class FreezingTests
{
    // conv2d: 2·1·3·3 + 2 = 20; batch_normalization: gamma 2, beta 2 (trainable), moving mean 2, variance 2;
    // flatten: 2·2·2 = 8 values; dense: 8·4 + 4 = 36; dense_1: 4·2 + 2 = 10. Total 74.
    private static readonly string[] s_frozenWeights = ["conv2d.kernel", "conv2d.bias", "batch_normalization.gamma", "batch_normalization.beta", "batch_normalization.moving_mean", "batch_normalization.moving_variance"];

    [Fact]
    public void Frozen_weights_are_bit_identical_after_Fit_and_the_trainable_ones_move()
    {
        using var data = TrainingTestData.Brightness(16, 4, 11, shuffle: true);
        using var model = Net(3).Freeze("conv2d", "batch_normalization").Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01));
        var before = Snapshot(model);

        model.Fit(data, new FitOptions { Epochs = 2, Seed = 1, Verbosity = TrainingVerbosity.Silent });

        var after = Snapshot(model);
        foreach (var name in s_frozenWeights)
        {
            Assert.Equal(before[name], after[name]); // exact, element by element
        }

        foreach (var name in new[] { "dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias" })
        {
            Assert.NotEqual(before[name], after[name]);
        }

        Assert.Equal(["dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias"], model.GetOptimizer().State.ParameterNames);
        Assert.All(model.LayerModules[0].parameters(), p => Assert.False(p.requires_grad));
        Assert.All(model.LayerModules[3].parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void A_frozen_BatchNormalization_runs_in_inference_mode_during_Fit_and_keeps_its_moving_statistics()
    {
        using var data = TrainingTestData.Brightness(16, 4, 12);
        using var probe = Images(8, 5);
        using var model = Net(4);
        using (var mean = tensor(new[] { 0.3f, -0.2f }))
        using (var variance = tensor(new[] { 2f, 0.5f }))
        {
            model.SetWeight(1, "moving_mean", mean);
            model.SetWeight(1, "moving_variance", variance);
        }

        model.SetTrainable("batch_normalization", false).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adamax(0.01));
        var batches = 0;
        var callback = new LambdaCallback
        {
            BatchEnd = e =>
            {
                Assert.True(model.Module.training);
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var inFit = model.Forward(probe).cpu();      // training mode, as the step ran
                var inference = model.Predict(probe);        // evaluation mode
                Assert.True(Same(inFit, inference), "the frozen BatchNormalization did not run in inference mode during Fit");
                batches++;
            },
        };

        model.Fit(data, new FitOptions { Epochs = 2, Callbacks = [callback], Verbosity = TrainingVerbosity.Silent });

        Assert.Equal(8, batches);
        using var meanAfter = model.GetWeight(1, "moving_mean");
        using var varianceAfter = model.GetWeight(1, "moving_variance");
        Assert.Equal([0.3f, -0.2f], meanAfter.data<float>().ToArray());
        Assert.Equal([2f, 0.5f], varianceAfter.data<float>().ToArray());
    }

    [Fact]
    public void An_unfrozen_BatchNormalization_uses_batch_statistics_in_training_mode_so_the_frozen_test_can_fail()
    {
        using var probe = Images(8, 5);
        using var model = Net(4);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.Module.train();
        var training = model.Forward(probe).cpu();
        model.Module.eval();
        var inference = model.Forward(probe).cpu();

        Assert.False(training.allclose(inference, rtol: 0, atol: 1e-6));

        model.Freeze("batch_normalization", "batch_normalization");
        model.Module.train();
        var frozen = model.Forward(probe).cpu();
        model.Module.eval();
        Assert.True(Same(frozen, inference));
    }

    [Fact]
    public void Unfreeze_keeps_the_Adamax_moments_of_the_trainable_parameters_and_the_next_step_matches_the_update_rule()
    {
        const double LearningRate = 0.01;
        using var data = TrainingTestData.Brightness(16, 4, 13);
        using var model = Net(5).Freeze(0, 1).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adamax(LearningRate));
        model.Fit(data, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });
        var optimizer = model.GetOptimizer();
        Assert.Equal(4, optimizer.Iterations);
        var moments = optimizer.State.ParameterNames
            .Select((name, i) => (name, m: Floats(optimizer.State.Slots[i][0]), u: Floats(optimizer.State.Slots[i][1])))
            .ToDictionary(x => x.name, x => (x.m, x.u));

        model.Unfreeze("conv2d");

        // The same optimizer, now over all eight parameters: the head's moments are kept, the base's start at zero.
        var state = model.GetOptimizer().State;
        Assert.Equal(4, model.GetOptimizer().Iterations);
        Assert.Equal(["conv2d.kernel", "conv2d.bias", "batch_normalization.gamma", "batch_normalization.beta", "dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias"], state.ParameterNames);
        for (var i = 0; i < state.ParameterNames.Count; i++)
        {
            var (m, u) = moments.TryGetValue(state.ParameterNames[i], out var kept) ? kept : (new float[state.Slots[i][0].numel()], new float[state.Slots[i][0].numel()]);
            Assert.Equal(m, Floats(state.Slots[i][0]));
            Assert.Equal(u, Floats(state.Slots[i][1]));
        }

        // One more step on one batch, against Adamax computed by hand from the gradient of that batch (t = 5).
        using var batchData = TrainingTestData.Brightness(4, 4, 14);
        var names = state.ParameterNames.ToArray();
        var w0 = names.ToDictionary(n => n, n => Floats(Parameter(model, n)));
        var gradients = Gradients(model, batchData);
        model.Fit(batchData, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });

        Assert.Equal(5, model.GetOptimizer().Iterations);
        const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-7;
        var step = LearningRate / (1 - Math.Pow(Beta1, 5));
        foreach (var name in names)
        {
            var g = gradients[name];
            var (m0, u0) = moments.TryGetValue(name, out var kept) ? kept : (new float[g.Length], new float[g.Length]);
            var actual = Floats(Parameter(model, name));
            for (var j = 0; j < g.Length; j++)
            {
                var m = (Beta1 * m0[j]) + ((1 - Beta1) * g[j]);
                var u = Math.Max(Beta2 * u0[j], Math.Abs(g[j]));
                var expected = w0[name][j] - (step * m / (u + Epsilon));
                Assert.True(Math.Abs(expected - actual[j]) <= 1e-5 + (1e-4 * Math.Abs(expected)), $"{name}[{j}]: expected {expected}, got {actual[j]}");
            }
        }
    }

    [Fact]
    public void Freezing_during_Fit_from_a_callback_takes_effect_at_the_next_batch()
    {
        using var data = TrainingTestData.Brightness(16, 4, 15);
        using var model = Net(6).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01));
        float[]? frozenAt = null;
        var callback = new LambdaCallback
        {
            EpochEnd = e =>
            {
                if (e.Epoch == 0)
                {
                    model.Freeze(0, 1);
                    frozenAt = Floats(Parameter(model, "conv2d.kernel"));
                }
            },
        };

        model.Fit(data, new FitOptions { Epochs = 3, Callbacks = [callback], Verbosity = TrainingVerbosity.Silent });

        Assert.NotNull(frozenAt);
        Assert.Equal(frozenAt, Floats(Parameter(model, "conv2d.kernel")));
        Assert.Equal(4, model.GetOptimizer().ParameterCount);
        Assert.Equal(12, model.GetOptimizer().Iterations);
    }

    [Fact]
    public void Resuming_a_saved_run_with_frozen_layers_equals_the_uninterrupted_run_bit_for_bit()
    {
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            float[] straight;
            using (var data = TrainingTestData.Brightness(16, 4, 16, shuffle: true))
            using (var model = Net(7).Freeze("conv2d", "batch_normalization").Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01)))
            {
                model.Fit(data, Options(0, 4));
                straight = TrainingTestData.Weights(model);
            }

            using var stream = new MemoryStream();
            using (var data = TrainingTestData.Brightness(16, 4, 16, shuffle: true))
            using (var model = Net(7).Freeze("conv2d", "batch_normalization").Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01)))
            {
                model.Fit(data, Options(0, 2));
                model.Save(stream, new ModelSaveOptions { IncludeTrainingState = true });
            }

            stream.Position = 0;
            using (var data = TrainingTestData.Brightness(16, 4, 16, shuffle: true))
            using (var model = Model.Load(stream))
            {
                Assert.Equal([false, false, true, true, true], model.Layers.Select(l => l.Trainable));
                Assert.Equal(4, model.GetOptimizer().ParameterCount);
                model.Fit(data, Options(2, 4));
                Assert.Equal(straight, TrainingTestData.Weights(model));
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void A_run_saved_after_Unfreeze_loads_with_the_moments_of_every_trainable_parameter()
    {
        using var data = TrainingTestData.Brightness(16, 4, 17);
        using var model = Net(8).Freeze(0, 1).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adamax(0.01));
        model.Fit(data, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });
        model.Unfreeze();
        using var stream = new MemoryStream();
        model.Save(stream, new ModelSaveOptions { IncludeTrainingState = true });
        stream.Position = 0;

        using var loaded = Model.Load(stream);

        var saved = model.GetOptimizer().State;
        var restored = loaded.GetOptimizer().State;
        Assert.Equal(saved.ParameterNames, restored.ParameterNames);
        Assert.Equal(4, restored.Iterations);
        for (var i = 0; i < saved.ParameterNames.Count; i++)
        {
            Assert.Equal(Floats(saved.Slots[i][0]), Floats(restored.Slots[i][0]));
            Assert.Equal(Floats(saved.Slots[i][1]), Floats(restored.Slots[i][1]));
        }
    }

    [Fact]
    public void Gradients_flow_through_a_frozen_middle_layer_to_the_trainable_layers_before_it()
    {
        using var data = TrainingTestData.Brightness(16, 4, 19);
        using var model = Net(10).SetTrainable("dense", false).Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(0.01));
        var before = Snapshot(model);

        model.Fit(data, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });

        var after = Snapshot(model);
        Assert.Equal(before["dense.kernel"], after["dense.kernel"]);
        Assert.Equal(before["dense.bias"], after["dense.bias"]);
        Assert.NotEqual(before["conv2d.kernel"], after["conv2d.kernel"]);
        Assert.NotEqual(before["dense_1.kernel"], after["dense_1.kernel"]);
        Assert.NotEqual(before["batch_normalization.moving_mean"], after["batch_normalization.moving_mean"]); // not frozen: updated
    }

    [Fact]
    public void Fit_with_every_layer_frozen_refuses_with_the_fix()
    {
        using var data = TrainingTestData.Brightness(8, 4, 18);
        using var model = Net(9).Freeze().Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam());

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(data, new FitOptions { Verbosity = TrainingVerbosity.Silent }));

        Assert.Contains("frozen", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Unfreeze", ex.Message, StringComparison.Ordinal);
    }

    internal static Model Net(int seed) => new SequentialBuilder(4, 4, 1).WithSeed(seed)
        .AddConv2D(2, 3, Activation.ReLU)
        .AddBatchNormalization()
        .AddFlatten()
        .AddDense(4, Activation.ReLU)
        .AddDense(2, Activation.Softmax)
        .Build();

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static FitOptions Options(int initialEpoch, int epochs) =>
        new() { InitialEpoch = initialEpoch, Epochs = epochs, Seed = 5, Verbosity = TrainingVerbosity.Silent };

    private static Tensor Images(int count, int seed)
    {
        using var generator = new Generator().manual_seed(seed);
        return rand([count, 1, 4, 4], generator: generator);
    }

    private static Dictionary<string, float[]> Snapshot(Model model) =>
        model.Layers.SelectMany(l => l.WeightNames.Select(w => (Name: $"{l.Name}.{w}", Layer: l.Index, Weight: w)))
            .ToDictionary(x => x.Name, x =>
            {
                using var weight = model.GetWeight(x.Layer, x.Weight);
                return weight.data<float>().ToArray();
            });

    private static TorchSharp.Modules.Parameter Parameter(Model model, string name) =>
        model.Module.named_parameters().Single(p => p.name == name).parameter;

    private static float[] Floats(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().contiguous().data<float>().ToArray();
    }

    /// <summary>The gradient of the mean loss over the source's one batch, in training mode, as Fit computes it.</summary>
    private static Dictionary<string, float[]> Gradients(Model model, InMemoryDataset data)
    {
        using var scope = NewDisposeScope();
        using var batch = data.GetBatches(0).Single();
        model.Module.zero_grad();
        model.Module.train();
        var predictions = model.Forward(batch.Images);
        var loss = LossFunctions.PerSample(model.Compilation!.Loss, predictions, batch.Labels!).mean();
        loss.backward();
        var result = model.TrainableParameters().ToDictionary(p => p.Name, p => Floats(p.Parameter.grad!));
        model.Module.zero_grad();
        model.Module.eval();
        return result;
    }
}
