// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;

namespace ConvViz.Tests.Models;

/// <summary>
/// ONNX import: each fixture (written by TestAssets/onnx/make_onnx_fixtures.py to cover a group of operators and
/// attribute variants) is loaded and compared with ONNX Runtime running the same file; refusals name the node and the
/// problem.
/// </summary>
public sealed class OnnxImportTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Fixtures => ["conv_pool", "residual", "activations", "nhwc", "flatten_nchw", "split_concat"];

    internal static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "TestAssets", "onnx", name + ".onnx");

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Fixture_PredictionsEqualOnnxRuntime_AtSeveralBatchSizes(string name)
    {
        using var scope = NewDisposeScope();
        using var model = Model.Load(FixturePath(name));
        foreach (var batch in new[] { 1, 3 })
        {
            var input = rand([batch, model.InputShape.Channels, model.InputShape.Height, model.InputShape.Width], generator: new Generator().manual_seed(batch)).mul(Scalars.Two);
            using var expected = RunOnnxRuntime(File.ReadAllBytes(FixturePath(name)), input, name == "nhwc");
            AssertClose(expected, model.Predict(input));
        }
    }

    [Fact]
    public void Fixture_LayersHaveTheNodesNamesTypesAndGraph()
    {
        using var model = Model.Load(FixturePath("residual"));
        Assert.False(model.IsSequential);
        Assert.IsType<InputLayerOptions>(model.Layers[0].Options);
        Assert.Equal("input", model.Layers[0].Name);
        var add = model.Layers.Single(l => l.Name == "block_add");
        Assert.IsType<AddOptions>(add.Options);
        Assert.Equal(["block_conv2", "input"], add.Inputs.Select(i => i.Name));
        var conv = (Conv2DOptions)model.Layers.Single(l => l.Name == "block_conv1").Options;
        Assert.Equal(new Padding2D(1, 1, 1, 1), conv.ExplicitPadding);
        Assert.True(conv.UseBias);
        Assert.False(((Conv2DOptions)model.Layers.Single(l => l.Name == "block_conv2").Options).UseBias);
        var dense = (DenseOptions)model.Layers.Single(l => l.Name == "fc").Options;
        Assert.Equal(5, dense.Units);
    }

    [Fact]
    public void ChannelsFirstFlatten_KeepsPyTorchsOrder_AndNhwcModelUsesKerasOrder()
    {
        using var nchw = Model.Load(FixturePath("flatten_nchw"));
        Assert.Equal(DataFormat.ChannelsFirst, ((FlattenOptions)nchw.Layers.Single(l => l.Name == "flatten").Options).DataFormat);
        using var nhwc = Model.Load(FixturePath("nhwc"));
        Assert.Equal(DataFormat.ChannelsLast, ((FlattenOptions)nhwc.Layers.Single(l => l.Name == "flatten").Options).DataFormat);
        Assert.Equal(new ImageShape(8, 7, 3), nhwc.InputShape);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ImportedModel_SavesAndLoadsAsConvVizFile_WithIdenticalOutputs(string name)
    {
        using var scope = NewDisposeScope();
        using var model = Model.Load(FixturePath(name));
        var path = Path.Combine(Path.GetTempPath(), $"convviz-onnx-{Guid.NewGuid():N}.convviz");
        try
        {
            model.Save(path);
            using var loaded = Model.Load(path);
            Assert.Equal(model.Layers.Select(l => l.Options), loaded.Layers.Select(l => l.Options), new OptionsByJson());
            var input = rand([2, model.InputShape.Channels, model.InputShape.Height, model.InputShape.Width], generator: new Generator().manual_seed(4));
            Assert.True(model.Predict(input).equal(loaded.Predict(input)).all().item<bool>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ExportedConvVizModel_RoundTrips_ThroughOnnx_WithTheOriginalOutputs()
    {
        using var scope = NewDisposeScope();
        using var original = GraphModels.Residual();
        using var stream = new MemoryStream();
        original.ExportOnnx(stream, new OnnxExportOptions());
        stream.Position = 0;
        using var imported = Model.Load(stream);
        var input = rand([2, original.InputShape.Channels, original.InputShape.Height, original.InputShape.Width], generator: new Generator().manual_seed(8));
        AssertClose(original.Predict(input), imported.Predict(input));

        // ONNX → ConvViz → ONNX: the second export runs in ONNX Runtime with the first's outputs.
        using var again = new MemoryStream();
        imported.ExportOnnx(again, new OnnxExportOptions());
        using var expected = RunOnnxRuntime(stream.ToArray(), input, false);
        using var actual = RunOnnxRuntime(again.ToArray(), input, false);
        AssertClose(expected, actual);
    }

    [Fact]
    public void LoadFromStream_EqualsLoadFromPath()
    {
        using var scope = NewDisposeScope();
        using var fromPath = Model.Load(FixturePath("conv_pool"));
        using var stream = File.OpenRead(FixturePath("conv_pool"));
        using var fromStream = Model.Load(stream);
        var input = rand([1, 3, 33, 31], generator: new Generator().manual_seed(2));
        Assert.True(fromPath.Predict(input).equal(fromStream.Predict(input)).all().item<bool>());
    }

    [Fact]
    public void UnsupportedOperator_IsRefused_NamingTheOpTheNodeAndTheSupportedSet()
    {
        var proto = Read("residual");
        proto.Graph.Node.Single(n => n.Name == "block_relu1").OpType = "LpNormalization";
        var ex = Assert.Throws<NotSupportedException>(() => Load(proto));
        Assert.Contains("LpNormalization", ex.Message);
        Assert.Contains("block_relu1", ex.Message);
        Assert.Contains("BatchNormalization", ex.Message);
    }

    [Fact]
    public void MissingInitializer_IsInvalidData()
    {
        var proto = Read("residual");
        proto.Graph.Initializer.Remove(proto.Graph.Initializer.Single(t => t.Name == "c2_w"));
        var ex = Assert.Throws<InvalidDataException>(() => Load(proto));
        Assert.Contains("c2_w", ex.Message);
    }

    [Fact]
    public void CyclicGraph_IsInvalidData()
    {
        var proto = Read("residual");
        // block_conv1 now reads block_out's value, which depends on block_conv1.
        proto.Graph.Node.Single(n => n.Name == "block_conv1").Input[0] = "r2";
        var ex = Assert.Throws<InvalidDataException>(() => Load(proto));
        Assert.Contains("cyclic", ex.Message);
    }

    [Fact]
    public void DeclaredSizeLargerThanTheData_IsRefusedBeforeAllocating()
    {
        var proto = Read("residual");
        var weight = proto.Graph.Initializer.Single(t => t.Name == "fc_w");
        weight.Dims.Clear();
        weight.Dims.Add([1L << 40, 1L << 20]);
        var ex = Assert.Throws<InvalidDataException>(() => Load(proto));
        Assert.Contains("fc_w", ex.Message);
    }

    [Fact]
    public void ExternalData_OutsideTheModelsFolder_IsRefused()
    {
        var proto = Read("residual");
        var weight = proto.Graph.Initializer.Single(t => t.Name == "fc_w");
        weight.RawData = ByteString.Empty;
        weight.DataLocation = TensorProto.Types.DataLocation.External;
        weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        var dir = Directory.CreateTempSubdirectory("convviz-onnx-");
        try
        {
            var path = Path.Combine(dir.FullName, "m.onnx");
            File.WriteAllBytes(path, proto.ToByteArray());
            var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));
            Assert.Contains("own folder", ex.Message);

            // From a stream there is no folder: refused with the fix.
            using var stream = new MemoryStream(proto.ToByteArray());
            Assert.Contains("from its path", Assert.Throws<NotSupportedException>(() => Model.Load(stream)).Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ExternalData_InTheModelsFolder_IsRead()
    {
        using var scope = NewDisposeScope();
        var proto = Read("residual");
        var weight = proto.Graph.Initializer.Single(t => t.Name == "fc_w");
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weight.RawData.Span).ToArray();
        Assert.NotEmpty(values);
        weight.RawData = ByteString.Empty;
        weight.DataLocation = TensorProto.Types.DataLocation.External;
        weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        weight.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "16" });
        var dir = Directory.CreateTempSubdirectory("convviz-onnx-");
        try
        {
            var bytes = new byte[16 + (values.Length * 4)];
            Buffer.BlockCopy(values, 0, bytes, 16, values.Length * 4);
            File.WriteAllBytes(Path.Combine(dir.FullName, "weights.bin"), bytes);
            var path = Path.Combine(dir.FullName, "m.onnx");
            File.WriteAllBytes(path, proto.ToByteArray());
            using var external = Model.Load(path);
            using var inline = Model.Load(FixturePath("residual"));
            var input = rand([1, 4, 9, 9], generator: new Generator().manual_seed(3));
            Assert.True(external.Predict(input).equal(inline.Predict(input)).all().item<bool>());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void TwoInputs_AndUnsupportedOpset_AreRefusedClearly()
    {
        var proto = Read("residual");
        proto.Graph.Input.Add(new ValueInfoProto { Name = "second" });
        Assert.Contains("exactly one image input", Assert.Throws<NotSupportedException>(() => Load(proto)).Message);

        proto = Read("residual");
        proto.OpsetImport[0].Version = 22;
        Assert.Contains("opset 22", Assert.Throws<NotSupportedException>(() => Load(proto)).Message);
    }

    [Fact]
    public void CorruptProtobuf_IsInvalidData_NamingTheFile()
    {
        var bytes = File.ReadAllBytes(FixturePath("residual"));
        using var stream = new MemoryStream(bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(stream, new ModelLoadOptions { Format = ModelFileFormat.Onnx }));
        Assert.Contains("ONNX", ex.Message);
    }

    [Fact]
    public void HostileNodeNames_BecomeSafeLayerNames()
    {
        var proto = Read("residual");
        proto.Graph.Node.Single(n => n.Name == "block_conv1").Name = "../../x</script><script>alert(1)";
        proto.Graph.Node.Single(n => n.Name == "block_conv2").Name = "../../x</script><script>alert(1)";
        using var model = Load(proto);
        Assert.All(model.Layers, l => Assert.Matches("^[A-Za-z][A-Za-z0-9_-]*$", l.Name));
        Assert.Equal(model.Layers.Count, model.Layers.Select(l => l.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Contains(model.Layers, l => l.Name == "x__script__script_alert_1");
    }

    [Fact]
    public void ElementwiseConstant_AndChannelSlice_ExportAndRunInOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        using var model = Model.Load(FixturePath("split_concat"));
        Assert.Contains(model.Layers, l => l.Options is ChannelSliceOptions);
        Assert.Contains(model.Layers, l => l.Options is ElementwiseConstantOptions);
        using var stream = new MemoryStream();
        model.ExportOnnx(stream, new OnnxExportOptions());
        var input = rand([2, 3, 5, 4], generator: new Generator().manual_seed(6)).mul(Scalars.ByteMax);
        using var exported = RunOnnxRuntime(stream.ToArray(), input, false);
        AssertClose(model.Predict(input), exported);
    }

    /// <summary>Compares layer options by their public property values (records with lists compare by reference).</summary>
    private sealed class OptionsByJson : IEqualityComparer<LayerOptions>
    {
        public bool Equals(LayerOptions? x, LayerOptions? y) =>
            x?.GetType() == y?.GetType() && System.Text.Json.JsonSerializer.Serialize(x, x!.GetType()) == System.Text.Json.JsonSerializer.Serialize(y, y!.GetType());

        public int GetHashCode(LayerOptions obj) => obj.GetType().GetHashCode();
    }

    private static ModelProto Read(string name) => ModelProto.Parser.ParseFrom(File.ReadAllBytes(FixturePath(name)));

    private static Model Load(ModelProto proto)
    {
        using var stream = new MemoryStream(proto.ToByteArray());
        return Model.Load(stream, new ModelLoadOptions { Format = ModelFileFormat.Onnx });
    }

    /// <summary>Runs an ONNX file in ONNX Runtime (one thread) on an NCHW input (transposed to NHWC for channels-last files).</summary>
    internal static Tensor RunOnnxRuntime(byte[] bytes, Tensor input, bool channelsLast)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(bytes, options);
        var name = session.InputMetadata.Keys.Single();
        var declared = session.InputMetadata[name].Dimensions;
        using var laid = channelsLast ? input.permute(0, 2, 3, 1).contiguous() : input.contiguous();
        using var batch = laid.to_type(ScalarType.Float32);
        var shape = batch.shape.Select(d => (int)d).ToArray();
        var outputs = new List<Tensor>();
        // Files with a batch axis fixed at 1 (as the ResNet18) run one image at a time.
        var step = declared[0] == 1 ? 1 : shape[0];
        for (var start = 0; start < shape[0]; start += step)
        {
            using var slice = batch.narrow(0, start, step).contiguous();
            var data = new DenseTensor(slice.data<float>().ToArray(), [step, .. shape[1..]]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(name, data)]);
            var result = results.First().AsTensor<float>();
            outputs.Add(tensor(result.ToArray(), [.. result.Dimensions.ToArray().Select(d => (long)d)]));
        }

        return cat(outputs.ToArray(), 0);
    }

    internal static double MaxRelativeDifference(Tensor expected, Tensor actual)
    {
        using var e = expected.to_type(ScalarType.Float64).reshape(-1);
        using var a = actual.to_type(ScalarType.Float64).reshape(-1);
        using var diff = e.sub(a).abs();
        using var scale = e.abs().clamp_min(Scalars.One);
        using var relative = diff.div(scale);
        return relative.max().item<double>();
    }

    private void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.numel(), actual.numel());
        var worst = MaxRelativeDifference(expected, actual);
        output.WriteLine($"max relative difference {worst:E2} over {expected.numel()} values");
        Assert.True(worst <= Tolerance, $"ConvViz differs from ONNX Runtime by {worst:E2} (relative to max(1, |value|)); tolerance {Tolerance:E0}.");
    }
}
