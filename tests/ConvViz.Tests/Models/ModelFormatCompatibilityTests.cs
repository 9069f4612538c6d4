// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Json;
using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// Model files written by ConvViz 0.1 (before layers moved to one file each) must keep loading and predicting the
/// same. The fixtures in TestAssets/Models were saved by 0.1 code with every layer type; the expected outputs were
/// computed by that code on the same seeded input.
/// </summary>
public sealed class ModelFormatCompatibilityTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "TestAssets", "Models");

    public static TheoryData<string, string[]> Fixtures => new()
    {
        {
            "format-0.1-all-layers",
            ["Conv2D", "BatchNormalization", "Activation", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Dropout", "GlobalMaxPooling2D", "Dense", "BatchNormalization", "Dense"]
        },
        { "format-0.1-global-average", ["Conv2D", "GlobalAveragePooling2D", "Dense"] },
        { "format-0.1-flatten", ["Flatten", "Dense"] },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_0_1_model_file_loads_with_its_layers_and_predicts_as_before(string name, string[] types)
    {
        var expected = JsonSerializer.Deserialize<Dictionary<string, float[]>>(File.ReadAllText(Path.Combine(Directory, "format-0.1-outputs.json")))![name];
        using var model = Model.Load(Path.Combine(Directory, name + ".convviz"));

        Assert.Equal(types, model.Layers.Select(l => l.TypeName).ToArray());
        using var x = rand(new long[] { 2, model.InputShape.Channels, model.InputShape.Height, model.InputShape.Width }, generator: new Generator(7));
        using var y = model.Forward(x);
        var actual = y.contiguous().data<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 5e-6f);
        }
    }

    [Fact]
    public void The_0_1_file_keeps_its_layer_names_and_options()
    {
        using var model = Model.Load(Path.Combine(Directory, "format-0.1-all-layers.convviz"));

        Assert.Equal("stem", model.Layers[0].Name);
        Assert.Equal("drop", model.Layers[6].Name);
        Assert.Equal("dense_1", model.Layers[10].Name);
        var conv = Assert.IsType<Conv2DOptions>(model.Layers[0].Options);
        Assert.Equal((4, new Size2D(3, 2), new Size2D(2, 2), Padding.Same, Activation.ELU), (conv.Filters, conv.KernelSize, conv.Strides, conv.Padding, conv.Activation));
        var dilated = Assert.IsType<Conv2DOptions>(model.Layers[3].Options);
        Assert.Equal((new Size2D(1, 2), false, Initializer.HeNormal), (dilated.DilationRate, dilated.UseBias, dilated.KernelInitializer));
        var norm = Assert.IsType<BatchNormalizationOptions>(model.Layers[1].Options);
        Assert.Equal((0.5, 1e-2), (norm.Momentum, norm.Epsilon));
        Assert.Equal(Activation.LeakyReLU, Assert.IsType<ActivationOptions>(model.Layers[2].Options).Activation);
        var max = Assert.IsType<MaxPooling2DOptions>(model.Layers[4].Options);
        Assert.Equal((new Size2D(2, 2), (Size2D?)new Size2D(1, 1), Padding.Same), (max.PoolSize, max.Strides, max.Padding));
        var average = Assert.IsType<AveragePooling2DOptions>(model.Layers[5].Options);
        Assert.Equal((new Size2D(2, 1), (Size2D?)null), (average.PoolSize, average.Strides));
        Assert.Equal(0.25, Assert.IsType<DropoutOptions>(model.Layers[6].Options).Rate);
        var dense = Assert.IsType<DenseOptions>(model.Layers[8].Options);
        Assert.Equal((6, Activation.SELU, Initializer.Ones), (dense.Units, dense.Activation, dense.BiasInitializer));
        Assert.False(Assert.IsType<BatchNormalizationOptions>(model.Layers[9].Options).Center);
    }
}
