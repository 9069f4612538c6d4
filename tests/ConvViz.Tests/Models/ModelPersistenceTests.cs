// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Reflection;
using System.Text;
using System.Text.Json;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

public sealed class ModelPersistenceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("convviz-models-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A model using every layer kind and option, with weights and moving statistics moved away from their initial values.</summary>
    private static Model TrainedModel()
    {
        var model = new SequentialBuilder(12, 10, 3).WithSeed(11)
            .AddConv2D(new Conv2DOptions { Filters = 4, KernelSize = (3, 2), Strides = 2, Padding = Padding.Same, Activation = Activation.ELU, Name = "stem" })
            .AddBatchNormalization(new BatchNormalizationOptions { Momentum = 0.5, Epsilon = 1e-2 })
            .AddActivation(Activation.LeakyReLU)
            .AddConv2D(new Conv2DOptions { Filters = 3, KernelSize = 2, DilationRate = (1, 2), UseBias = false, KernelInitializer = Initializer.HeNormal })
            .AddMaxPooling2D(new MaxPooling2DOptions { PoolSize = 2, Strides = 1, Padding = Padding.Same })
            .AddAveragePooling2D(new AveragePooling2DOptions { PoolSize = (2, 1) })
            .AddFlatten()
            .AddDense(new DenseOptions { Units = 6, Activation = Activation.SELU, BiasInitializer = Initializer.Ones })
            .AddDropout(new DropoutOptions { Rate = 0.25, Name = "drop" })
            .AddBatchNormalization(new BatchNormalizationOptions { Center = false })
            .AddDense(3, Activation.Softmax)
            .Build();

        using var scope = NewDisposeScope();
        using (no_grad())
        {
            var g = new Generator(99);
            using var noiseScale = Scalars.Create(0.1);
            foreach (var p in model.Module.parameters())
            {
                p.add_(randn(p.shape, generator: g).mul_(noiseScale), Scalars.One);
            }
        }

        model.Module.train();
        using (no_grad())
        {
            model.Forward(rand(new long[] { 8, 3, 12, 10 }, generator: new Generator(5)));
        }

        model.Module.eval();
        model.Compile(Loss.SparseCategoricalCrossentropy, OptimizerOptions.Sgd(0.05, momentum: 0.9, nesterov: true) with { Decay = 1e-4 }, Metric.SparseCategoricalAccuracy, Metric.Accuracy);
        model.Preprocessing = new ImagePreprocessing
        {
            TargetHeight = 12,
            TargetWidth = 10,
            ColorMode = ColorMode.Rgb,
            Interpolation = Interpolation.Bilinear,
            Rescale = 1.0 / 255,
            SamplewiseCenter = true,
            SamplewiseStdNormalization = true,
            FeaturewiseMean = [0.1f, 0.2f, 0.30000001f],
            FeaturewiseStd = [1.5f, 2.5f, 3.5f],
        };
        model.ClassNames = ["chat", "chien", "oiseau ü"];
        return model;
    }

    private string SaveTrained()
    {
        var path = Path.Combine(_directory, "model.safetensors");
        using var model = TrainedModel();
        model.Save(path);
        return path;
    }

    [Fact]
    public void SaveLoad_RoundTrip_PredictionsAreBitIdentical()
    {
        using var scope = NewDisposeScope();
        using var model = TrainedModel();
        var path = Path.Combine(_directory, "model.safetensors");
        var images = rand(new long[] { 5, 3, 12, 10 }, generator: new Generator(3));
        using var before = model.Predict(images);

        model.Save(path);
        using var loaded = Model.Load(path);
        using var after = loaded.Predict(images);

        Assert.True(before.eq(after).all().item<bool>(), "predictions must match bit for bit");
        Assert.Equal(model.Summary().ToString(), loaded.Summary().ToString());
        var original = model.Module.state_dict();
        var restored = loaded.Module.state_dict();
        Assert.Equal(original.Keys, restored.Keys);
        Assert.All(original.Keys, k => Assert.True(original[k].eq(restored[k]).all().item<bool>(), k));
    }

    [Fact]
    public void SaveLoad_RoundTrip_KeepsCompileOptionsPreprocessingAndClassNames()
    {
        using var model = TrainedModel();
        var path = Path.Combine(_directory, "model.safetensors");

        model.Save(path);
        using var loaded = Model.Load(path);

        var c = loaded.Compilation!;
        Assert.Equal(Loss.SparseCategoricalCrossentropy, c.Loss);
        Assert.Equal([Metric.SparseCategoricalAccuracy, Metric.Accuracy], c.Metrics);
        Assert.Equal(model.Compilation!.Optimizer, c.Optimizer);
        Assert.Equal(["chat", "chien", "oiseau ü"], loaded.ClassNames);
        var p = loaded.Preprocessing!;
        var q = model.Preprocessing!;
        foreach (var property in PreprocessingProperties())
        {
            var expected = property.GetValue(q);
            var actual = property.GetValue(p);
            if (expected is IReadOnlyList<float> list)
            {
                Assert.Equal(list, (IReadOnlyList<float>)actual!);
            }
            else
            {
                Assert.Equal(expected, actual);
            }
        }

        Assert.Equal(["stem", "batch_normalization", "activation", "conv2d", "max_pooling2d", "average_pooling2d", "flatten", "dense", "drop", "batch_normalization_1", "dense_1"],
            loaded.Layers.Select(l => l.Name));
    }

    [Fact]
    public void SaveLoad_UncompiledModelWithoutMetadata_RoundTrips()
    {
        using var model = new SequentialBuilder(4, 4, 1).AddFlatten().AddDense(2).Build();
        var path = Path.Combine(_directory, "plain.safetensors");

        model.Save(path);
        using var loaded = Model.Load(path);

        Assert.Null(loaded.Compilation);
        Assert.Null(loaded.Preprocessing);
        Assert.Empty(loaded.ClassNames);
    }

    // Reminder tests: a new option must also be saved. If one of these fails, extend the layer's WriteFields/Read (or ModelJson) and update the count.
    [Theory]
    [InlineData(typeof(ImagePreprocessing), 9)]
    [InlineData(typeof(OptimizerOptions), 9)]
    [InlineData(typeof(CompileOptions), 4)]
    [InlineData(typeof(Conv2DOptions), 12)]
    [InlineData(typeof(DepthwiseConv2DOptions), 11)]
    [InlineData(typeof(SeparableConv2DOptions), 13)]
    [InlineData(typeof(ReshapeOptions), 2)]
    [InlineData(typeof(MaxPooling2DOptions), 5)]
    [InlineData(typeof(AveragePooling2DOptions), 5)]
    [InlineData(typeof(DenseOptions), 6)]
    [InlineData(typeof(DropoutOptions), 2)]
    [InlineData(typeof(BatchNormalizationOptions), 5)]
    [InlineData(typeof(ActivationOptions), 2)]
    [InlineData(typeof(FlattenOptions), 2)]
    [InlineData(typeof(GlobalAveragePooling2DOptions), 2)]
    [InlineData(typeof(GlobalMaxPooling2DOptions), 2)]
    [InlineData(typeof(ChannelSliceOptions), 3)]
    [InlineData(typeof(ElementwiseConstantOptions), 3)]
    public void Save_SerializesEverySettableProperty(Type type, int count) =>
        Assert.Equal(count, type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Count(p => p.SetMethod is not null));

    [Fact]
    public void Save_WritesSafetensorsLayout()
    {
        var path = SaveTrained();
        var bytes = File.ReadAllBytes(path);

        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var metadata = header.RootElement.GetProperty("__metadata__");
        Assert.Equal("convviz.model", metadata.GetProperty("format").GetString());
        Assert.Equal("1", metadata.GetProperty("format_version").GetString());
        var tensors = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").ToArray();
        Assert.Contains(tensors, t => t.Name == "stem.kernel");
        Assert.Contains(tensors, t => t.Name == "batch_normalization.moving_variance");
        var kernel = tensors.Single(t => t.Name == "stem.kernel").Value;
        Assert.Equal("F32", kernel.GetProperty("dtype").GetString());
        Assert.Equal([4L, 3L, 3L, 2L], kernel.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        var end = tensors.Max(t => t.Value.GetProperty("data_offsets")[1].GetInt64());
        Assert.Equal(bytes.Length - 8 - headerLength, end);
    }

    [Fact]
    public void Save_OverExistingFile_ReplacesItAndLeavesNoTemporaryFiles()
    {
        var path = Path.Combine(_directory, "model.safetensors");
        File.WriteAllText(path, new string('x', 100_000));
        using var model = TrainedModel();

        model.Save(path);

        Assert.Equal(["model.safetensors"], Directory.GetFiles(_directory).Select(Path.GetFileName));
        using var loaded = Model.Load(path);
        Assert.Equal(model.ParameterCount, loaded.ParameterCount);
    }

    [Fact]
    public void Save_MissingDirectory_ThrowsAndWritesNothing()
    {
        using var model = TrainedModel();

        Assert.Throws<DirectoryNotFoundException>(() => model.Save(Path.Combine(_directory, "missing", "m.safetensors")));
        Assert.Empty(Directory.GetFileSystemEntries(_directory));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(100)]
    [InlineData(-4)]
    [InlineData(-1)]
    public void Load_TruncatedFile_ThrowsInvalidData(int keep)
    {
        var path = SaveTrained();
        var bytes = File.ReadAllBytes(path);
        var length = keep >= 0 ? keep : bytes.Length + keep;
        File.WriteAllBytes(path, bytes[..length]);

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains(path, ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void Load_BadMagic_ThrowsInvalidData()
    {
        var path = SaveTrained();
        Replace(path, "\"format\":\"convviz.model\"", "\"format\":\"convviz.modex\"");

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("not a ConvViz model file", ex.Message);
    }

    [Fact]
    public void Load_OtherFormatVersion_ThrowsInvalidData()
    {
        var path = SaveTrained();
        Replace(path, "\"format_version\":\"1\"", "\"format_version\":\"7\"");

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("format version is '7'", ex.Message);
    }

    [Fact]
    public void Load_HeaderLengthPastEnd_ThrowsInvalidData()
    {
        var path = SaveTrained();
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("points past the end of the file", ex.Message);
    }

    [Fact]
    public void Load_HugeHeaderLength_ThrowsBeforeAllocating()
    {
        var path = SaveTrained();
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("MaxHeaderBytes", ex.Message);
    }

    [Fact]
    public void Load_TensorShapeMismatch_ThrowsInvalidData()
    {
        var path = SaveTrained();
        Replace(path, "\"shape\":[4,3,3,2]", "\"shape\":[4,3,2,3]");

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("tensor 'stem.kernel' has shape [4, 3, 2, 3] but the architecture needs [4, 3, 3, 2]", ex.Message);
    }

    [Fact]
    public void Load_ArchitectureChanged_ThrowsInvalidData()
    {
        var path = SaveTrained();
        Replace(path, "\\\"filters\\\":4", "\\\"filters\\\":5");

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("stem.kernel", ex.Message);
    }

    [Fact]
    public void Load_InvalidLayerOption_ThrowsInvalidDataNamingTheField()
    {
        var path = SaveTrained();
        Replace(path, "\\\"rate\\\":0.25", "\\\"rate\\\":1.25");

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("architecture.layers[8]", ex.Message);
    }

    [Fact]
    public void Load_TrailingBytes_ThrowsInvalidData()
    {
        var path = SaveTrained();
        File.AppendAllText(path, "extra");

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("data section", ex.Message);
    }

    [Fact]
    public void Load_NotAModelFile_ThrowsInvalidData()
    {
        var path = Path.Combine(_directory, "image.png");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestAssets", "chelsea.png"), path);

        Assert.Throws<InvalidDataException>(() => Model.Load(path));
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => Model.Load(Path.Combine(_directory, "missing.safetensors")));

    [Fact]
    public void Load_FileLargerThanLimit_ThrowsInvalidData()
    {
        var path = SaveTrained();

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path, new ModelLoadOptions { MaxFileSizeBytes = 1000 }));

        Assert.Contains("MaxFileSizeBytes", ex.Message);
    }

    [Fact]
    public void Load_RandomByteCorruption_EitherLoadsOrThrowsInvalidData()
    {
        var path = SaveTrained();
        var original = File.ReadAllBytes(path);
        var headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var random = new Random(1234);
        for (var i = 0; i < 150; i++)
        {
            var bytes = (byte[])original.Clone();
            // Mostly the length prefix and the header: that is where parsing happens.
            var position = i % 10 == 0 ? random.Next(bytes.Length) : random.Next(headerEnd);
            bytes[position] = (byte)random.Next(256);
            File.WriteAllBytes(path, bytes);

            try
            {
                Model.Load(path).Dispose();
            }
            catch (InvalidDataException)
            {
            }
        }
    }

    private static void Replace(string path, string find, string replacement)
    {
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.Latin1.GetString(bytes);
        Assert.Contains(find, text);
        Assert.Equal(Encoding.UTF8.GetByteCount(find), Encoding.UTF8.GetByteCount(replacement));
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(text.Replace(find, replacement, StringComparison.Ordinal)));
    }

    private static IEnumerable<PropertyInfo> PreprocessingProperties() =>
        typeof(ImagePreprocessing).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null);
}
