// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Json;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Models.Keras;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// Keras HDF5 import against the synthetic fixtures of TestAssets/keras/make_fixtures.py (one per layout variant and
/// quirk, expected outputs from an independent numpy forward pass) and the two real R keras files.
/// </summary>
public sealed class KerasImportTests
{
    private static readonly string s_assets = Path.Combine(AppContext.BaseDirectory, "TestAssets", "keras");

    [Theory]
    [InlineData("seq_list_keras21")]
    [InlineData("seq_list_no_colon")]
    [InlineData("seq_dict_tfkeras_vlen")]
    [InlineData("functional_add_concat_split")]
    [InlineData("functional_keras3_nodes")]
    [InlineData("nested_conv_base")]
    [InlineData("seq_vector_mnist_dense")]
    [InlineData("func_vector_bn")]
    [InlineData("r-keras-mnist-dense")]
    public void Load_Fixture_PredictsAsNumpy(string name)
    {
        using var model = Model.Load(Path.Combine(s_assets, name + ".h5"));
        AssertPredictsAsNumpy(model, name);
    }

    [Fact]
    public void Load_Stream_DetectsHdf5ByContent()
    {
        using var stream = new MemoryStream(File.ReadAllBytes(Path.Combine(s_assets, "functional_add_concat_split.h5")));
        using var model = Model.Load(stream);
        AssertPredictsAsNumpy(model, "functional_add_concat_split");
        Assert.Equal(["input_1", "conv_a", "conv_b", "add_1", "concatenate_1", "conv_c", "global_max_pooling2d_1", "dense_out"], model.Layers.Select(l => l.Name));
    }

    [Fact]
    public void Load_KeepsKerasNamesAndOptions()
    {
        using var model = Model.Load(Path.Combine(s_assets, "seq_list_keras21.h5"));
        Assert.Equal(["conv2d_1", "batch_normalization_1", "max_pooling2d_1", "conv2d_2", "flatten_1", "dropout_1", "dense_1"], model.Layers.Select(l => l.Name));
        Assert.Equal(new ImageShape(8, 8, 3), model.InputShape);
        var conv = Assert.IsType<ConvViz.Models.Layers.Conv2DOptions>(model.Layers[3].Options);
        Assert.Equal(Activation.HardSigmoid, conv.Activation);
        Assert.Equal(Padding.Valid, conv.Padding);
    }

    [Fact]
    public void Load_SetsPreprocessingAndClassNamesFromOptions()
    {
        var preprocessing = new ImagePreprocessing { TargetHeight = 8, TargetWidth = 8, Rescale = 1 / 255.0 };
        using var model = Model.Load(
            Path.Combine(s_assets, "seq_list_keras21.h5"),
            new ModelLoadOptions { Preprocessing = preprocessing, ClassNames = ["a", "b", "c", "d", "e"] });
        Assert.Equal(preprocessing, model.Preprocessing);
        Assert.Equal(["a", "b", "c", "d", "e"], model.ClassNames);
    }

    [Fact]
    public void Load_ForcedConvVizFormat_RefusesHdf5()
    {
        Assert.ThrowsAny<InvalidDataException>(() => Model.Load(Path.Combine(s_assets, "seq_list_keras21.h5"), new ModelLoadOptions { Format = ModelFileFormat.ConvViz }));
    }

    [Fact]
    public void LoadWeights_WeightsOnlyFile_ByOrderAndByName()
    {
        using var model = Model.Load(Path.Combine(s_assets, "seq_list_keras21.h5"));
        model.LoadWeights(Path.Combine(s_assets, "seq_list_keras21_weights.h5"));
        AssertPredictsAsNumpy(model, "seq_list_keras21_weights");

        using var byName = Model.Load(Path.Combine(s_assets, "seq_list_keras21.h5"));
        byName.LoadWeights(Path.Combine(s_assets, "seq_list_keras21_weights.h5"), byName: true);
        AssertPredictsAsNumpy(byName, "seq_list_keras21_weights");
    }

    [Fact]
    public void LoadWeights_Mismatch_NamesLayerAndBothShapes()
    {
        using var model = Model.Load(Path.Combine(s_assets, "functional_add_concat_split.h5"));
        var ex = Assert.Throws<InvalidDataException>(() => model.LoadWeights(Path.Combine(s_assets, "seq_list_keras21_weights.h5")));
        Assert.Contains("conv_a", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 2, 3, 3]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 3, 3, 4]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WeightsOnlyFile_SaysToUseLoadWeights()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(Path.Combine(s_assets, "seq_list_keras21_weights.h5")));
        Assert.Contains("LoadWeights", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RKerasFiles_ArchitectureAndWeightsParse_VectorModelLoads()
    {
        var path = Path.Combine(s_assets, "r-keras-mnist-dense.h5");
        KerasHdf5Content content;
        using (var stream = File.OpenRead(path))
        {
            content = KerasHdf5Reader.Read(stream, path, 1 << 20);
        }

        Assert.Equal("2.1.5", content.KerasVersion);
        Assert.Contains("RMSprop", content.TrainingConfig, StringComparison.Ordinal);
        var config = KerasModelConfig.Parse(content.ModelConfig!, path);
        Assert.Equal([784], config.InputShape);
        Assert.Equal(["dense_3", "dense_4"], config.Layers.Select(l => l.Name));
        Assert.Equal(["dense_3_4/kernel:0", "dense_3_4/bias:0"], content.Layers[0].Weights.Select(w => w.Name));
        Assert.Equal([784, 512], content.Layers[0].Weights[0].Shape);
        Assert.Equal([512, 10], content.Layers[1].Weights[0].Shape);

        var weightsPath = Path.Combine(s_assets, "r-keras-mnist-dense-weights.h5");
        using (var stream = File.OpenRead(weightsPath))
        {
            var weights = KerasHdf5Reader.Read(stream, weightsPath, 1 << 20);
            Assert.Null(weights.ModelConfig);
            Assert.Equal(content.Layers[1].Weights[1].Values, weights.Layers[1].Weights[1].Values);
        }

        using var model = Model.Load(path);
        Assert.Equal(new LayerShape(784), model.InputLayerShape);
        Assert.Equal(["dense_3", "dense_4"], model.Layers.Select(l => l.Name));
        Assert.Equal(new LayerShape(10), model.OutputShape);
        Assert.Equal(784L * 512 + 512 + (512 * 10) + 10, model.ParameterCount);

        // Keras' load_model_weights_hdf5 onto the loaded architecture: the same numbers again.
        model.LoadWeights(weightsPath);
        AssertPredictsAsNumpy(model, "r-keras-mnist-dense");
    }

    [Fact]
    public void VectorModel_SummaryAndShapes_AreKeras()
    {
        using var model = Model.Load(Path.Combine(s_assets, "seq_vector_mnist_dense.h5"));
        Assert.True(model.IsSequential);
        Assert.Equal("(None, 784)", model.InputLayerShape.ToString());
        var summary = model.Summary();
        Assert.Equal("(None, 784)", summary.InputShape.ToString());
        var lines = summary.ToString().Split('\n');
        // Keras 2.3's sequential table: the first row is the first Dense layer's output, 784 * 512 + 512 parameters.
        Assert.Equal("dense_1 (Dense)              (None, 512)               401920    ", lines[4]);
        Assert.Equal("dropout_1 (Dropout)          (None, 512)               0         ", lines[6]);
        Assert.Equal("dense_2 (Dense)              (None, 10)                5130      ", lines[8]);
        Assert.Contains("Total params: 407,050", summary.ToString(), StringComparison.Ordinal);

        // A functional model shows the input layer, with the vector shape.
        using var functional = Model.Load(Path.Combine(s_assets, "func_vector_bn.h5"));
        var row = functional.Summary().ToString().Split('\n')[4];
        Assert.StartsWith("features (InputLayer)           (None, 20)", row, StringComparison.Ordinal);
    }

    [Fact]
    public void VectorModel_ImageOnlyFeatures_SayTheModelTakesVectors()
    {
        using var model = Model.Load(Path.Combine(s_assets, "seq_vector_mnist_dense.h5"));
        var shape = Assert.Throws<InvalidOperationException>(() => model.InputShape);
        Assert.Contains("(None, 784)", shape.Message, StringComparison.Ordinal);
        Assert.Contains("InputLayerShape", shape.Message, StringComparison.Ordinal);

        using var scope = NewDisposeScope();
        var images = zeros(1, 1, 28, 28);
        var wrong = Assert.Throws<ArgumentException>(() => model.Predict(images));
        Assert.Contains("[N, 784]", wrong.Message, StringComparison.Ordinal);

        var preprocessing = Assert.Throws<ArgumentException>(() => Model.Load(
            Path.Combine(s_assets, "seq_vector_mnist_dense.h5"), new ModelLoadOptions { Preprocessing = new ImagePreprocessing { TargetHeight = 28, TargetWidth = 28 } }));
        Assert.Contains("takes vectors", preprocessing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"relu\"", "\"exotic\"", "activation 'exotic'")]
    [InlineData("\"data_format\": \"channels_last\"", "\"data_format\": \"channels_first\"", "channels_first")]
    [InlineData("\"class_name\": \"Dense\"", "\"class_name\": \"Lambda\"", "Lambda")]
    [InlineData("\"class_name\": \"Dense\"", "\"class_name\": \"MyCustomLayer\"", "MyCustomLayer")]
    public void UnsupportedSettingsAndLayers_AreRefusedByName(string find, string replace, string expected)
    {
        var json = File.ReadAllText(Path.Combine(s_assets, "seq_list_keras21.json"));
        Assert.NotNull(json);
        using var file = File.OpenRead(Path.Combine(s_assets, "seq_list_keras21.h5"));
        var content = KerasHdf5Reader.Read(file, "x.h5", 1 << 20);
        var index = content.ModelConfig!.IndexOf(find, StringComparison.Ordinal);
        Assert.True(index >= 0);
        var changed = string.Concat(content.ModelConfig.AsSpan(0, index), replace, content.ModelConfig.AsSpan(index + find.Length));
        var config = KerasModelConfig.Parse(changed, "x.h5");
        var ex = Assert.Throws<NotSupportedException>(() => KerasImporter.Build(config, 2, "x.h5"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("x.h5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptAndForeignFiles_AreInvalidData()
    {
        var bytes = File.ReadAllBytes(Path.Combine(s_assets, "seq_list_keras21.h5"));
        using var truncated = new MemoryStream(bytes[..(bytes.Length / 3)]);
        Assert.ThrowsAny<InvalidDataException>(() => Model.Load(truncated));
        Assert.ThrowsAny<InvalidDataException>(() => KerasModelConfig.Parse(new string('[', 200) + new string(']', 200), "deep.h5"));
    }

    [Theory]
    [InlineData("seq_list_keras21", 1)]
    [InlineData("seq_dict_tfkeras_vlen", 2)]
    [InlineData("functional_add_concat_split", 3)]
    [InlineData("nested_conv_base", 4)]
    public async Task MutatedFiles_LoadOrFailWithInvalidDataOrNotSupported(string fixture, int seed)
    {
        // 500 mutations per fixture (2,000 in all) (1 to 8 random bytes overwritten), each with a time limit: no hang, no crash, no other exception.
        var original = File.ReadAllBytes(Path.Combine(s_assets, fixture + ".h5"));
        var random = new Random(seed);
        for (var i = 0; i < 500; i++)
        {
            var bytes = (byte[])original.Clone();
            var count = random.Next(1, 9);
            for (var j = 0; j < count; j++)
            {
                bytes[random.Next(8, bytes.Length)] = (byte)random.Next(256);
            }

            var task = Task.Run(() =>
            {
                try
                {
                    using var model = Model.Load(new MemoryStream(bytes));
                }
                catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
                {
                }
            });
            var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.True(finished == task, $"{fixture} mutation {i} did not finish in 10 s");
            await task;
        }
    }

    private static void AssertPredictsAsNumpy(Model model, string fixture)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(s_assets, fixture + ".json")));
        var shape = doc.RootElement.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var input = doc.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var expected = doc.RootElement.GetProperty("output").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        using var scope = NewDisposeScope();
        // Image fixtures are stored NHWC (Keras' order); vector fixtures [N, features] need no permutation.
        var nchw = shape.Length == 4 ? tensor(input, shape).permute(0, 3, 1, 2).contiguous() : tensor(input, shape);
        var actual = model.Predict(nchw).to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-5, $"{fixture}: largest difference from numpy {worst:E2}");
    }
}
