// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using TorchSharp;
using Padding = ConvViz.Models.Layers.Padding;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>Functional models: building, the graph executor, bad input, the file and the summary.</summary>
public sealed class GraphModelTests
{
    [Fact]
    public void Residual_model_lists_its_layers_in_topological_order_with_their_inputs()
    {
        using var model = GraphModels.Residual();

        Assert.False(model.IsSequential);
        Assert.Equal(GraphModels.ResidualNames, model.Layers.Select(l => l.Name));
        Assert.Equal("InputLayer", model.Layers[0].TypeName);
        Assert.Empty(model.Layers[0].Inputs);
        Assert.Equal(["stem", "branch_b"], model.GetLayer("add").Inputs.Select(l => l.Name));
        Assert.Equal([new LayerShape(8, 8, 4), new LayerShape(8, 8, 4)], model.GetLayer("add").InputShapes);
        Assert.Equal(new LayerShape(3), model.OutputShape);
    }

    [Fact]
    public void Forward_equals_the_forward_pass_written_by_hand()
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        var input = GraphModels.Input(2);

        var expected = GraphModels.ResidualByHand(model, input)["dense"];
        var actual = model.Forward(input);

        Assert.True(allclose(actual, expected, rtol: 1e-5, atol: 1e-6), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Intermediate_outputs_on_both_sides_of_the_skip_connection_equal_the_hand_pass()
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        var input = GraphModels.Input(1);
        var expected = GraphModels.ResidualByHand(model, input);

        using var activations = IntermediateModel.From(model, ["stem", "branch_b", "add", "block_out"]).Run(input);

        foreach (var name in new[] { "stem", "branch_b", "add", "block_out" })
        {
            Assert.True(allclose(activations[name], expected[name], rtol: 1e-5, atol: 1e-6), name);
        }

        // By index too (layer 4 is the Add), and R's get_layer(index = 5) is GetLayer(4), as in Keras' functional model.
        using var byIndex = IntermediateModel.From(model, 4).Predict(input);
        Assert.True(allclose(byIndex, expected["add"], rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Executor_runs_only_the_ancestors_of_the_requested_layers()
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        var calls = new List<string>();
        var hooks = model.LayerModules.Select(m => m.register_forward_hook((module, _, output) =>
        {
            calls.Add(module.GetName());
            return output;
        })).ToArray();
        try
        {
            using var noGrad = no_grad();
            model.Run(GraphModels.Input(), [2]);
            Assert.Equal(["input_layer", "stem", "branch_a"], calls);

            calls.Clear();
            model.Run(GraphModels.Input(), [4]);
            Assert.Equal(["input_layer", "stem", "branch_a", "branch_b"], calls); // the Add merges outside the hook (it takes two inputs)
        }
        finally
        {
            foreach (var hook in hooks)
            {
                hook.remove();
            }
        }
    }

    [Fact]
    public void Executor_with_a_given_value_skips_its_ancestors_and_computes_from_it()
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        using var noGrad = no_grad();
        var given = rand([2, 4, 8, 8], generator: new Generator().manual_seed(5));

        var output = model.Run(null, [7], new GraphRun { Given = new Dictionary<int, Tensor> { [5] = given } })[0];

        var expected = nn.functional.linear(given.mean([2, 3]), model.GetWeight(7, "kernel"), model.GetWeight(7, "bias")).softmax(1);
        Assert.True(allclose(output, expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Executor_frees_each_value_after_its_last_reader()
    {
        // input → r0 → r1 → … → r19, and Add(r0, r19): only r0 (read by the Add at the end) and the current value stay
        // alive, so the number of live tensors is the same while each of r2..r19 runs.
        var f = new FunctionalBuilder(new ImageShape(4, 4, 1)).WithSeed(1);
        var first = f.Add(new ReLUOptions { Name = "r0" }, f.Input);
        var x = first;
        for (var i = 1; i < 20; i++)
        {
            x = f.Add(new ReLUOptions { Name = $"r{i}" }, x);
        }

        var add = f.Add(new AddOptions(), first, x);
        using var model = f.Build(add);
        using var input = rand(2, 1, 4, 4);
        var live = new List<long>();
        var hooks = model.LayerModules.Skip(3).Take(18).Select(m => m.register_forward_hook((_, _, output) =>
        {
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            return output;
        })).ToArray();
        try
        {
            using var noGrad = no_grad();
            var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            model.Forward(input).Dispose();

            Assert.Equal(18, live.Count);
            Assert.Single(live.Distinct());
            Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
        finally
        {
            foreach (var hook in hooks)
            {
                hook.remove();
            }
        }
    }

    [Fact]
    public void Mismatched_shapes_at_Add_name_both_layers_their_shapes_and_the_fix_and_change_nothing()
    {
        var f = new FunctionalBuilder(new ImageShape(8, 8, 3));
        var a = f.Add(new Conv2DOptions { Filters = 4, KernelSize = 3, Padding = Padding.Same }, f.Input);
        var b = f.Add(new Conv2DOptions { Filters = 8, KernelSize = 3, Padding = Padding.Same }, f.Input);
        var count = f.Count;

        var ex = Assert.Throws<ArgumentException>(() => f.Add(new AddOptions(), a, b));

        Assert.Contains("Layer 3 'add' (Add) cannot merge 'conv2d' (None, 8, 8, 4) and 'conv2d_1' (None, 8, 8, 8)", ex.Message);
        Assert.Contains("1×1 Conv2D", ex.Message);
        Assert.Equal(count, f.Count);
        Assert.Equal("add", f.Add(new AddOptions(), a, f.Add(new Conv2DOptions { Filters = 4, KernelSize = 1 }, b)).LayerName);
    }

    [Fact]
    public void Mismatched_heights_at_Concatenate_name_both_layers_and_the_fix()
    {
        var f = new FunctionalBuilder(new ImageShape(8, 8, 3));
        var a = f.Add(new Conv2DOptions { Filters = 4, KernelSize = 3 }, f.Input);
        var b = f.Add(new Conv2DOptions { Filters = 4, KernelSize = 3, Padding = Padding.Same }, f.Input);

        var ex = Assert.Throws<ArgumentException>(() => f.Add(new ConcatenateOptions(), a, b));

        Assert.Contains("'conv2d' (None, 6, 6, 4) and 'conv2d_1' (None, 8, 8, 4)", ex.Message);
        Assert.Contains("height and width must agree", ex.Message);
    }

    [Fact]
    public void Concatenate_joins_channels_in_input_order()
    {
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(2, 2, 1));
        var doubled = f.Add(new RescalingOptions { Scale = 2 }, f.Input);
        var joined = f.Add(new ConcatenateOptions(), f.Input, doubled, f.Input);
        using var model = f.Build(joined);
        var input = tensor(new float[] { 1, 2, 3, 4 }, [1, 1, 2, 2]);

        var output = model.Forward(input).contiguous();

        Assert.Equal(new LayerShape(2, 2, 3), model.OutputShape);
        Assert.Equal([1f, 2, 3, 4, 2, 4, 6, 8, 1, 2, 3, 4], output.data<float>().ToArray());
    }

    [Fact]
    public void Duplicate_names_are_refused_naming_the_other_layer()
    {
        var f = new FunctionalBuilder(new ImageShape(8, 8, 3));
        f.Add(new ReLUOptions { Name = "block" }, f.Input);

        var ex = Assert.Throws<ArgumentException>(() => f.Add(new ReLUOptions { Name = "block" }, f.Input));

        Assert.Contains("cannot be named 'block': layer 1 already has that name", ex.Message);
    }

    [Fact]
    public void A_layer_not_connected_to_the_output_is_refused_by_name_and_the_model_is_not_built()
    {
        var f = new FunctionalBuilder(new ImageShape(8, 8, 3));
        f.Add(new Conv2DOptions { Name = "forgotten", Filters = 2, KernelSize = 3 }, f.Input);
        var x = f.Add(new GlobalAveragePooling2DOptions(), f.Input);
        var output = f.Add(new DenseOptions { Units = 2 }, x);

        var ex = Assert.Throws<ArgumentException>(() => f.Build(output));

        Assert.Contains("Layer 1 'forgotten' (Conv2D, output (None, 6, 6, 2)) is not connected to the model's output 'dense'", ex.Message);
        Assert.Equal(4, f.Count);
    }

    [Fact]
    public void Inputs_from_another_builder_and_merges_with_one_input_are_refused()
    {
        var f = new FunctionalBuilder(new ImageShape(8, 8, 3));
        var other = new FunctionalBuilder(new ImageShape(8, 8, 3));

        var foreign = Assert.Throws<ArgumentException>(() => f.Add(new ReLUOptions(), other.Input));
        var single = Assert.Throws<ArgumentException>(() => f.Add(new AddOptions(), f.Input));
        var sequential = Assert.Throws<ArgumentException>(() => new SequentialBuilder(8, 8, 3).Add(new AddOptions()));
        var output = Assert.Throws<ArgumentException>(() => f.Build(other.Input));

        Assert.Contains("belongs to another FunctionalBuilder", foreign.Message);
        Assert.Contains("takes at least 2 inputs, but 1 was given", single.Message);
        Assert.Contains("Build the model with FunctionalBuilder", sequential.Message);
        Assert.Contains("belongs to another FunctionalBuilder", output.Message);
    }

    [Fact]
    public void A_file_whose_layer_names_a_later_or_unknown_input_is_refused_as_a_cycle_or_corruption()
    {
        const string Architecture = """
            {"input_shape":{"height":4,"width":4,"channels":1},"layers":[
            {"type":"InputLayer","name":"input_layer"},
            {"type":"ReLU","name":"a","max_value":null,"negative_slope":0,"threshold":0,"inputs":["b"]},
            {"type":"ReLU","name":"b","max_value":null,"negative_slope":0,"threshold":0,"inputs":["a"]}]}
            """;

        var ex = Assert.Throws<InvalidDataException>(() => ModelJson.ReadArchitecture(Architecture));

        Assert.Contains("architecture.layers[1].inputs names 'b', which is not an earlier layer", ex.Message);
        Assert.Contains("cycle", ex.Message);
    }

    [Fact]
    public void Save_and_load_keep_the_graph_and_give_bit_identical_outputs()
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;

        using var loaded = Model.Load(stream);
        var input = GraphModels.Input(2);

        Assert.False(loaded.IsSequential);
        Assert.Equal(model.Layers.Select(l => (l.Name, string.Join(",", l.Inputs.Select(i => i.Name)))), loaded.Layers.Select(l => (l.Name, string.Join(",", l.Inputs.Select(i => i.Name)))));
        Assert.Equal(model.Forward(input).data<float>().ToArray(), loaded.Forward(input).data<float>().ToArray());
    }

    [Fact]
    public void A_graph_file_lists_only_the_inputs_that_are_not_the_previous_layer()
    {
        using var model = GraphModels.Residual();
        var json = ModelJson.WriteArchitecture(model.InputLayerShape, model.Specs);

        Assert.Contains("\"name\":\"add\",\"inputs\":[\"stem\",\"branch_b\"]", json);
        Assert.Contains("\"name\":\"pool\"}", json);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(json, "\"inputs\""));
    }

    [Fact]
    public void Summary_of_a_graph_is_Keras_functional_table_with_connections()
    {
        using var model = GraphModels.Residual();

        var text = model.Summary().ToString();

        var expected = string.Join('\n',
            "Model: \"model\"",
            new string('_', 98),
            "Layer (type)                    Output Shape         Param #     Connected to                     ",
            new string('=', 98),
            "input_layer (InputLayer)        (None, 8, 8, 3)      0                                            ",
            new string('_', 98),
            "stem (Conv2D)                   (None, 8, 8, 4)      112         input_layer[0][0]                ",
            new string('_', 98),
            "branch_a (Conv2D)               (None, 8, 8, 4)      148         stem[0][0]                       ",
            new string('_', 98),
            "branch_b (Conv2D)               (None, 8, 8, 4)      148         branch_a[0][0]                   ",
            new string('_', 98),
            "add (Add)                       (None, 8, 8, 4)      0           stem[0][0]                       ",
            "                                                                 branch_b[0][0]                   ",
            new string('_', 98),
            "block_out (Activation)          (None, 8, 8, 4)      0           add[0][0]                        ",
            new string('_', 98),
            "pool (GlobalAveragePooling2D)   (None, 4)            0           block_out[0][0]                  ",
            new string('_', 98),
            "dense (Dense)                   (None, 3)            15          pool[0][0]                       ",
            new string('=', 98),
            "Total params: 423",
            "Trainable params: 423",
            "Non-trainable params: 0",
            new string('_', 98),
            string.Empty);
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Sequential_models_keep_their_table_and_parameter_names()
    {
        using var model = BlogModel.CreateBuilder().Build();

        Assert.True(model.IsSequential);
        Assert.StartsWith("Model: \"sequential\"\n" + new string('_', 65), model.Summary().ToString(), StringComparison.Ordinal);
        Assert.Equal("conv2d.kernel", model.Module.named_parameters().First().name);
    }

    [Fact]
    public void A_nested_model_keeps_its_weights_and_its_layers_stay_addressable()
    {
        // Keras' classic Sequential(conv_base, flatten, dense, dense), with a functional residual model as the base.
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(8, 8, 3)).WithSeed(3);
        var stem = f.Add(new Conv2DOptions { Name = "base_stem", Filters = 4, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU }, f.Input);
        var branch = f.Add(new Conv2DOptions { Name = "base_branch", Filters = 4, KernelSize = 3, Padding = Padding.Same }, stem);
        using var convBase = f.Build(f.Add(new AddOptions { Name = "base_add" }, stem, branch));

        using var model = new SequentialBuilder(8, 8, 3).WithSeed(4).AddModel(convBase).AddFlatten().AddDense(8, Activation.ReLU).AddDense(2, Activation.Softmax).Build();

        Assert.Equal(["base_stem", "base_branch", "base_add", "flatten", "dense", "dense_1"], model.Layers.Select(l => l.Name));
        Assert.Equal(["base_stem", "base_branch"], model.GetLayer("base_add").Inputs.Select(l => l.Name));
        Assert.Empty(model.GetLayer("base_stem").Inputs);
        var input = GraphModels.Input(2);
        using var inner = IntermediateModel.From(model, "base_add").Predict(input);
        Assert.Equal(convBase.Forward(input).data<float>().ToArray(), inner.data<float>().ToArray());

        // A copy, not a share: changing the outer model leaves the base alone.
        var baseBias = convBase.GetWeight(1, "bias").data<float>().ToArray();
        model.SetWeight(0, "bias", tensor(new[] { 0.25f, 0.25f, 0.25f, 0.25f }));

        Assert.Equal(baseBias, convBase.GetWeight(1, "bias").data<float>().ToArray());
        Assert.Equal([0.25f, 0.25f, 0.25f, 0.25f], model.GetWeight(0, "bias").data<float>().ToArray());
    }

    [Fact]
    public void Nesting_refuses_a_wrong_input_shape_and_name_clashes_and_leaves_the_builder_unchanged()
    {
        using var inner = new SequentialBuilder(8, 8, 3).AddConv2D(2, 3).Build();
        var builder = new SequentialBuilder(8, 8, 3).AddConv2D(3, 1);

        var clash = Assert.Throws<ArgumentException>(() => builder.AddModel(inner));
        var f = new FunctionalBuilder(new ImageShape(4, 4, 3));
        var shape = Assert.Throws<ArgumentException>(() => f.Add(inner, f.Input));

        Assert.Contains("cannot be named 'conv2d': layer 0 already has that name", clash.Message);
        Assert.Contains("rename", clash.Message);
        Assert.Equal(1, builder.Count);
        Assert.Contains("The nested model takes input (None, 8, 8, 3), but 'input_layer' outputs (None, 4, 4, 3)", shape.Message);
        Assert.Equal(1, f.Count);
    }
}
