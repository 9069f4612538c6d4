// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    [Theory]
    [InlineData("0", null)]
    [InlineData("1", 1.0)]
    [InlineData("0.00392156862745098", 1.0 / 255)]
    [InlineData("null", null)]
    public void A_file_written_before_Rescale_refused_0_loads_with_0_as_no_rescaling(string storedRescale, double? expected)
    {
        // Before ImagePreprocessing refused 0, a model could be saved with rescale 0 (Keras' "no rescaling"). Such a
        // file is an existing fixture with the preprocessing metadata that writer produced; it must still load.
        var path = Path.Combine(Path.GetTempPath(), $"convviz-rescale-{Guid.NewGuid():N}.convviz");
        try
        {
            File.WriteAllBytes(path, WithPreprocessing(
                File.ReadAllBytes(Path.Combine(Directory, "format-0.1-global-average.convviz")),
                "{\"target_height\":8,\"target_width\":8,\"color_mode\":\"Grayscale\",\"interpolation\":\"Nearest\",\"rescale\":" + storedRescale +
                ",\"samplewise_center\":false,\"samplewise_std_normalization\":false,\"featurewise_mean\":null,\"featurewise_std\":null}"));

            using var model = Model.Load(path);

            Assert.Equal(expected, model.Preprocessing!.Rescale);
            Assert.Equal(["Conv2D", "GlobalAveragePooling2D", "Dense"], model.Layers.Select(l => l.TypeName).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Adds a <c>preprocessing</c> metadata entry to a model file and recomputes its content checksum.</summary>
    private static byte[] WithPreprocessing(byte[] file, string preprocessingJson)
    {
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        var header = JsonNode.Parse(file.AsSpan(8, headerLength))!.AsObject();
        var data = file.AsSpan(8 + headerLength);
        var metadata = header["__metadata__"]!.AsObject();
        metadata["preprocessing"] = preprocessingJson;

        // The checksum covers the metadata (ordinal key order, each key and value length-prefixed) and the data section.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var (key, value) in metadata.Where(p => p.Key != "content_sha256").OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var text in new[] { key, value!.GetValue<string>() })
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
                hash.AppendData(length);
                hash.AppendData(bytes);
            }
        }

        hash.AppendData(data);
        metadata["content_sha256"] = Convert.ToHexStringLower(hash.GetHashAndReset());
        var newHeader = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = new byte[(newHeader.Length + 7) / 8 * 8];
        padded.AsSpan().Fill((byte)' ');
        newHeader.CopyTo(padded, 0);
        var result = new byte[8 + padded.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded.Length);
        padded.CopyTo(result, 8);
        data.CopyTo(result.AsSpan(8 + padded.Length));
        return result;
    }
}
