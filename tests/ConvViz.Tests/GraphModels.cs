// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests;

/// <summary>Small seeded graph models for the graph tests, and a hand-written forward pass of the residual one.</summary>
internal static class GraphModels
{
    /// <summary>The layer names of <see cref="Residual"/>, by index.</summary>
    public static readonly string[] ResidualNames = ["input_layer", "stem", "branch_a", "branch_b", "add", "block_out", "pool", "dense"];

    /// <summary>
    /// A residual block: stem = Conv2D(4, 3×3, same, ReLU); branch_a = Conv2D(4, 3×3, same, ReLU)(stem);
    /// branch_b = Conv2D(4, 3×3, same)(branch_a); add = stem + branch_b; block_out = ReLU(add); pool = global average;
    /// dense = Dense(3, softmax). The skip connection from stem to add crosses branch_a and branch_b.
    /// </summary>
    public static Model Residual(int seed = 7, int height = 8, int width = 8, int channels = 3, int classes = 3)
    {
        var f = new FunctionalBuilder(new ImageShape(height, width, channels)).WithSeed(seed);
        var stem = f.Add(Conv("stem", Activation.ReLU), f.Input);
        var a = f.Add(Conv("branch_a", Activation.ReLU), stem);
        var b = f.Add(Conv("branch_b", Activation.Linear), a);
        var add = f.Add(new AddOptions { Name = "add" }, stem, b);
        var output = f.Add(new ActivationOptions { Name = "block_out", Activation = Activation.ReLU }, add);
        var pool = f.Add(new GlobalAveragePooling2DOptions { Name = "pool" }, output);
        var dense = f.Add(new DenseOptions { Name = "dense", Units = classes, Activation = classes == 1 ? Activation.Sigmoid : Activation.Softmax }, pool);
        return f.Build(dense);

        static Conv2DOptions Conv(string name, Activation activation) =>
            new() { Name = name, Filters = 4, KernelSize = 3, Padding = Padding.Same, Activation = activation };
    }

    /// <summary>A seeded input batch [n, 3, 8, 8] in [0, 1).</summary>
    public static Tensor Input(int n = 1, int seed = 3, int height = 8, int width = 8, int channels = 3) =>
        rand([n, channels, height, width], generator: new Generator().manual_seed(seed));

    /// <summary>
    /// The residual model's forward pass written out with TorchSharp's functional ops and the model's weights (not
    /// its modules or executor). <paramref name="replace"/> may replace one layer's value (by name), as attribution does.
    /// Returns every layer's value by name; "dense_logits" is the score before softmax.
    /// </summary>
    public static Dictionary<string, Tensor> ResidualByHand(Model model, Tensor input, Func<string, Tensor, Tensor>? replace = null)
    {
        replace ??= (_, v) => v;
        var values = new Dictionary<string, Tensor>();
        Tensor Keep(string name, Tensor value) => values[name] = replace(name, value);
        Tensor Conv(string name, Tensor x) => nn.functional.conv2d(x, model.GetWeight(name == "stem" ? 1 : name == "branch_a" ? 2 : 3, "kernel"), model.GetWeight(name == "stem" ? 1 : name == "branch_a" ? 2 : 3, "bias"), padding: [1, 1]);

        var stem = Keep("stem", nn.functional.relu(Conv("stem", input)));
        var a = Keep("branch_a", nn.functional.relu(Conv("branch_a", stem)));
        var b = Keep("branch_b", Conv("branch_b", a));
        var add = Keep("add", stem.add(b, Scalars.One));
        var output = Keep("block_out", nn.functional.relu(add));
        var pool = Keep("pool", output.mean([2, 3]));
        var logits = nn.functional.linear(pool, model.GetWeight(7, "kernel"), model.GetWeight(7, "bias"));
        values["dense_logits"] = logits;
        values["dense"] = logits.shape[1] == 1 ? logits.sigmoid() : logits.softmax(1);
        return values;
    }
}
