// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Text.Json;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Tests.Training;

namespace ConvViz.Tests.Models;

/// <summary>
/// The trainable flag of a layer on the model: Freeze / Unfreeze ranges by name or index with actionable errors, the
/// Keras summary counts, nesting, and the model file (<c>"trainable": false</c> only on frozen layers).
/// </summary>
public sealed class FreezingModelTests
{
    [Fact]
    public void Summary_counts_frozen_weights_and_moving_statistics_as_non_trainable_like_Keras()
    {
        using var model = FreezingTests.Net(1);

        // By hand: conv2d 2·9 + 2 = 20, batch_normalization 4 trainable + 4 moving, dense 8·4 + 4 = 36, dense_1 4·2 + 2 = 10.
        var summary = model.Summary();
        Assert.Equal(74, summary.TotalParameters);
        Assert.Equal(70, summary.TrainableParameters);
        Assert.Equal(4, summary.NonTrainableParameters);

        model.Freeze("conv2d", "batch_normalization");

        summary = model.Summary();
        Assert.Equal(74, summary.TotalParameters);
        Assert.Equal(46, summary.TrainableParameters);
        Assert.Equal(28, summary.NonTrainableParameters);
        Assert.Equal(46, model.TrainableParameterCount);
        Assert.Equal(0, model.Layers[0].TrainableParameterCount);
        Assert.Equal(20, model.Layers[0].NonTrainableParameterCount);
        Assert.Equal(8, model.Layers[1].NonTrainableParameterCount);
        var text = summary.ToString();
        Assert.Contains("Total params: 74\n", text, StringComparison.Ordinal);
        Assert.Contains("Trainable params: 46\n", text, StringComparison.Ordinal);
        Assert.Contains("Non-trainable params: 28\n", text, StringComparison.Ordinal);

        model.Unfreeze(1);
        Assert.Equal(50, model.Summary().TrainableParameters);
    }

    [Fact]
    public void Freeze_and_Unfreeze_take_inclusive_ranges_by_name_or_index()
    {
        using var model = FreezingTests.Net(1);

        Assert.Equal([false, false, false, false, false], model.Freeze().Layers.Select(l => l.Trainable));
        Assert.Equal([false, false, false, true, true], model.Unfreeze("dense").Layers.Select(l => l.Trainable));
        Assert.Equal([false, true, true, true, true], model.Unfreeze(1, 2).Layers.Select(l => l.Trainable));
        Assert.Equal([false, true, true, false, false], model.Freeze(-2).Layers.Select(l => l.Trainable));
        Assert.Equal([true, true, true, false, false], model.SetTrainable("conv2d", true).Layers.Select(l => l.Trainable));
        Assert.Equal([true, false, false, false, false], model.Freeze("batch_normalization").Layers.Select(l => l.Trainable));
        Assert.Equal([true, true, true, true, true], model.Unfreeze().Layers.Select(l => l.Trainable));
    }

    [Fact]
    public void Freeze_names_the_layers_and_the_valid_range_when_a_layer_is_wrong()
    {
        using var model = FreezingTests.Net(1);

        var unknown = Assert.Throws<ArgumentException>(() => model.Freeze("block5_conv1"));
        Assert.Contains("no layer named 'block5_conv1'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("0:conv2d, 1:batch_normalization, 2:flatten, 3:dense, 4:dense_1", unknown.Message, StringComparison.Ordinal);

        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => model.Unfreeze(5));
        Assert.Contains("0..4", outside.Message, StringComparison.Ordinal);

        var reversed = Assert.Throws<ArgumentException>(() => model.Freeze("dense_1", "conv2d"));
        Assert.Contains("layer 4 'dense_1'", reversed.Message, StringComparison.Ordinal);
        Assert.Contains("layer 0 'conv2d'", reversed.Message, StringComparison.Ordinal);
        Assert.All(model.Layers, l => Assert.True(l.Trainable));
    }

    [Fact]
    public void A_frozen_base_stays_frozen_when_nested_and_the_new_head_is_trainable()
    {
        using var conv = new SequentialBuilder(4, 4, 1).WithSeed(2).AddConv2D(2, 3, Activation.ReLU).AddBatchNormalization().Build().Freeze();
        using var model = new SequentialBuilder(4, 4, 1).WithSeed(3).AddModel(conv).AddFlatten().AddDense(2, Activation.Softmax).Build();

        Assert.Equal([false, false, true, true], model.Layers.Select(l => l.Trainable));
        Assert.Equal(["dense.kernel", "dense.bias"], model.TrainableParameters().Select(p => p.Name));
        Assert.Equal(18, model.Summary().TrainableParameters);
    }

    [Fact]
    public void The_model_file_marks_only_frozen_layers_and_loads_them_frozen()
    {
        using var model = FreezingTests.Net(1);
        var unfrozen = Save(model);

        model.Freeze(0, 1);
        var frozen = Save(model);
        using (var loaded = Model.Load(new MemoryStream(frozen)))
        {
            Assert.Equal([false, false, true, true, true], loaded.Layers.Select(l => l.Trainable));
            Assert.Equal(46, loaded.TrainableParameterCount);
            Assert.Equal(["dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias"], loaded.TrainableParameters().Select(p => p.Name));
        }

        using (var architecture = JsonDocument.Parse(Architecture(frozen)))
        {
            var flags = architecture.RootElement.GetProperty("layers").EnumerateArray()
                .Select(l => l.TryGetProperty("trainable", out var t) ? t.GetRawText() : "absent").ToArray();
            Assert.Equal(["false", "false", "absent", "absent", "absent"], flags);
        }

        // Unfreezing again gives back the bytes of a model that was never frozen: files without frozen layers do not change.
        model.Unfreeze();
        Assert.Equal(unfrozen, Save(model));
        Assert.DoesNotContain("trainable", Architecture(unfrozen), StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_a_non_boolean_trainable_is_refused_naming_the_field()
    {
        using var model = FreezingTests.Net(1).Freeze(0, 0);
        var json = Architecture(Save(model)).Replace("\"trainable\":false", "\"trainable\":0", StringComparison.Ordinal);

        var ex = Assert.Throws<InvalidDataException>(() => ModelJson.ReadArchitecture(json));

        Assert.Contains("architecture.layers[0].trainable", ex.Message, StringComparison.Ordinal);
    }

    private static byte[] Save(Model model)
    {
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    /// <summary>The architecture JSON stored in a model file's safetensors header.</summary>
    private static string Architecture(byte[] file)
    {
        var length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        using var header = JsonDocument.Parse(file.AsMemory(8, length));
        return header.RootElement.GetProperty("__metadata__").GetProperty("architecture").GetString()!;
    }
}
