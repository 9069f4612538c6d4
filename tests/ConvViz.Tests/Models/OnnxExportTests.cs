// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Models.Onnx;
using ConvViz.Training;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace ConvViz.Tests.Models;

/// <summary>
/// ONNX export, checked by running the exported file in ONNX Runtime against ConvViz's own forward pass. With
/// CONVVIZ_ONNX_EXPORT_DIR set, every exported test model is also written there (the CI check runs onnx's checker on them).
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    /// <summary>The layer types these tests export and compare; a new layer type must be mapped and added here.</summary>
    private static readonly Type[] s_exportedTypes =
    [
        typeof(InputLayerOptions), typeof(Conv2DOptions), typeof(DepthwiseConv2DOptions), typeof(SeparableConv2DOptions), typeof(DenseOptions),
        typeof(FlattenOptions), typeof(MaxPooling2DOptions), typeof(AveragePooling2DOptions), typeof(GlobalAveragePooling2DOptions),
        typeof(GlobalMaxPooling2DOptions), typeof(BatchNormalizationOptions), typeof(ActivationOptions), typeof(ReLUOptions), typeof(RescalingOptions),
        typeof(ReshapeOptions), typeof(ZeroPadding2DOptions), typeof(DropoutOptions), typeof(AddOptions), typeof(SubtractOptions), typeof(MultiplyOptions),
        typeof(AverageOptions), typeof(MaximumOptions), typeof(MinimumOptions), typeof(ConcatenateOptions),
        typeof(ChannelSliceOptions), typeof(ElementwiseConstantOptions),
    ];

    public static TheoryData<Activation> Activations => [.. Enum.GetValues<Activation>()];

    public static TheoryData<int> Opsets => [.. Enumerable.Range(OnnxExportOptions.MinOpset, OnnxExportOptions.MaxOpset - OnnxExportOptions.MinOpset + 1)];

    [Fact]
    public void BlogModel_AfterTraining_OnnxRuntimeGivesConvVizOutputs()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().WithSeed(5).Build().Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adam(1e-3), Metric.Accuracy);
        var images = rand([8, 3, 150, 150], generator: new Generator().manual_seed(1));
        var labels = nn.functional.one_hot(tensor(new long[] { 0, 1, 0, 1, 1, 0, 0, 1 }), 2).to_type(ScalarType.Float32);
        using (var train = new InMemoryDataset(images, labels, 4, ClassMode.Categorical, shuffle: false, seed: 1))
        {
            model.Fit(train, new FitOptions { Epochs = 1 });
        }

        model.ClassNames = ["cat", "dog"];
        var input = rand([3, 3, 150, 150], generator: new Generator().manual_seed(2));

        var outputs = RunOnnx(model, input, new OnnxExportOptions(), "blog");

        AssertClose(model.Forward(input), outputs[0]);
        Assert.Equal([3, 2], outputs[0].Dimensions.ToArray());
    }

    [Fact]
    public void EveryLayerType_IsCoveredByTheseTests()
    {
        var all = typeof(LayerOptions).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(LayerOptions)) && !t.IsAbstract).Select(t => t.Name).Order(StringComparer.Ordinal);

        Assert.Equal(all, s_exportedTypes.Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void BlogModel_Graph_HasNoDropoutAndKeepsKerasFlattenOrder()
    {
        using var model = BlogModel.CreateBuilder().WithSeed(5).Build();

        var proto = Export(model, new OnnxExportOptions());

        Assert.DoesNotContain(proto.Graph.Node, n => n.OpType == "Dropout");
        Assert.DoesNotContain(proto.Graph.Node, n => n.Name.StartsWith("dropout", StringComparison.Ordinal));
        var flatten = proto.Graph.Node.Single(n => n.OpType == "Flatten");
        var transpose = proto.Graph.Node.Single(n => n.Output.Contains(flatten.Input[0]));
        Assert.Equal("Transpose", transpose.OpType);
        Assert.Equal([0L, 2, 3, 1], transpose.Attribute.Single(a => a.Name == "perm").Ints);
        Assert.Equal(8, proto.IrVersion);
        Assert.Equal(17, proto.OpsetImport.Single().Version);
        var input = Assert.Single(proto.Graph.Input);
        Assert.Equal("input", input.Name);
        Assert.Equal("batch", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal([3L, 150, 150], input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue));
        Assert.Equal("output", proto.Graph.Output[0].Name);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void EveryActivation_MatchesOnnxRuntime(Activation activation)
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(6, 6, 2).WithSeed(3)
            .AddConv2D(4, 3, activation)
            .Add(new ActivationOptions { Activation = activation })
            .AddFlatten()
            .AddDense(3, activation)
            .Build();
        using var two = Scalars.Create(2.0);
        var input = randn([2, 2, 6, 6], generator: new Generator().manual_seed(4)).mul(two);

        AssertClose(model.Forward(input), RunOnnx(model, input, new OnnxExportOptions(), $"activation_{activation}")[0]);
    }

    [Fact]
    public void Convolutions_SamePaddingAsymmetric_GroupsDilationExplicitPadding_MatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(9, 8, 4)).WithSeed(11);
        var x = f.Add(new Conv2DOptions { Filters = 6, KernelSize = 3, Strides = 2, Padding = Padding.Same, Activation = Activation.ReLU }, f.Input);
        x = f.Add(new Conv2DOptions { Filters = 6, KernelSize = (2, 3), Groups = 3, ExplicitPadding = new Padding2D(1, 0, 2, 1) }, x);
        x = f.Add(new Conv2DOptions { Filters = 4, KernelSize = 2, DilationRate = 2, Padding = Padding.Same, UseBias = false }, x);
        x = f.Add(new DepthwiseConv2DOptions { KernelSize = 3, DepthMultiplier = 2, Padding = Padding.Same, Strides = 2, Activation = Activation.Tanh }, x);
        x = f.Add(new SeparableConv2DOptions { Filters = 5, KernelSize = 2, Padding = Padding.Same, DepthMultiplier = 2, Activation = Activation.ELU }, x);
        x = f.Add(new SeparableConv2DOptions { Filters = 3, KernelSize = 1, UseBias = false }, x);
        using var model = f.Build(x);
        var input = randn([2, 4, 9, 8], generator: new Generator().manual_seed(5));

        AssertClose(model.Forward(input), RunOnnx(model, input, new OnnxExportOptions(), "convolutions")[0]);
    }

    [Fact]
    public void Pooling_Normalization_Padding_Reshape_Rescaling_MatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(9, 9, 3).WithSeed(12)
            .Add(new RescalingOptions { Scale = 1.0 / 255, Offset = -0.5 })
            .Add(new ZeroPadding2DOptions { Top = 1, Bottom = 0, Left = 2, Right = 1 })
            .AddConv2D(6, 2, Activation.Linear)
            .AddBatchNormalization()
            .Add(new MaxPooling2DOptions { PoolSize = 3, Strides = 2, Padding = Padding.Same })
            .Add(new AveragePooling2DOptions { PoolSize = 2, Strides = 1, Padding = Padding.Same })
            .Add(new BatchNormalizationOptions { Center = false, Epsilon = 0.01 })
            .Add(new MaxPooling2DOptions { PoolSize = 2, Strides = 1, ExplicitPadding = new Padding2D(1, 0, 0, 1) })
            .Add(new AveragePooling2DOptions { PoolSize = 2, ExplicitPadding = new Padding2D(0, 1, 1, 0) })
            .Add(new ReshapeOptions { TargetShape = [2, -1, 3] })
            .Add(new ReshapeOptions { TargetShape = [-1] })
            .Add(new ReshapeOptions { TargetShape = [1, 2, -1] })
            .AddFlatten()
            .Add(new BatchNormalizationOptions { Scale = false })
            .AddDense(4, Activation.Softmax)
            .Build();
        RandomizeBatchNormStatistics(model);
        using var full = Scalars.Create(255.0);
        var input = rand([3, 3, 9, 9], generator: new Generator().manual_seed(6)).mul(full);

        AssertClose(model.Forward(input), RunOnnx(model, input, new OnnxExportOptions(), "pooling_normalization")[0]);
    }

    [Fact]
    public void GlobalPooling_ReLULayers_Dropout_MatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(6, 6, 3)).WithSeed(13);
        var conv = f.Add(new Conv2DOptions { Filters = 8, KernelSize = 3, Padding = Padding.Same }, f.Input);
        var a = f.Add(new ReLUOptions { MaxValue = 0.5 }, conv);
        var b = f.Add(new ReLUOptions { NegativeSlope = 0.1 }, conv);
        var c = f.Add(new ReLUOptions { Threshold = 0.2, NegativeSlope = 0.3, MaxValue = 1.5 }, conv);
        var d = f.Add(new ReLUOptions { Threshold = -0.1 }, conv);
        var e = f.Add(new ReLUOptions(), conv);
        var merged = f.Add(new ConcatenateOptions(), a, b, c, d, e);
        var dropped = f.Add(new DropoutOptions { Rate = 0.5 }, merged);
        var gap = f.Add(new GlobalAveragePooling2DOptions(), dropped);
        var gmp = f.Add(new GlobalMaxPooling2DOptions(), dropped);
        var both = f.Add(new ConcatenateOptions(), gap, gmp);
        using var model = f.Build(f.Add(new DenseOptions { Units = 2, Activation = Activation.Sigmoid }, both));
        var input = randn([2, 3, 6, 6], generator: new Generator().manual_seed(7));

        var proto = Export(model, new OnnxExportOptions());
        Assert.DoesNotContain(proto.Graph.Node, n => n.OpType == "Dropout");
        AssertClose(model.Forward(input), RunOnnx(model, input, new OnnxExportOptions(), "global_pooling_relu")[0]);
    }

    [Fact]
    public void Merges_MatchOnnxRuntime()
    {
        using var scope = NewDisposeScope();
        var f = new FunctionalBuilder(new ImageShape(5, 5, 2)).WithSeed(14);
        LayerOutput Conv(LayerOutput from) => f.Add(new Conv2DOptions { Filters = 3, KernelSize = 3, Padding = Padding.Same }, from);
        var (a, b, c) = (Conv(f.Input), Conv(f.Input), Conv(f.Input));
        var add = f.Add(new AddOptions(), a, b, c);
        var sub = f.Add(new SubtractOptions(), add, c);
        var mul = f.Add(new MultiplyOptions(), sub, a, b);
        var avg = f.Add(new AverageOptions(), mul, a, c);
        var max = f.Add(new MaximumOptions(), avg, b, a);
        var min = f.Add(new MinimumOptions(), max, c, add);
        var cat = f.Add(new ConcatenateOptions(), min, avg, sub);
        var flat = f.Add(new FlattenOptions(), cat);
        var gap = f.Add(new GlobalAveragePooling2DOptions(), cat);
        using var model = f.Build(f.Add(new ConcatenateOptions(), flat, gap));
        var input = randn([2, 2, 5, 5], generator: new Generator().manual_seed(8));

        AssertClose(model.Forward(input), RunOnnx(model, input, new OnnxExportOptions(), "merges")[0]);
    }

    [Fact]
    public void ResidualGraph_WithExtraOutputs_MatchesEveryLayer()
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        var input = GraphModels.Input(n: 4);
        string[] extra = ["input_layer", "stem", "branch_b", "add", "block_out", "pool"];

        var outputs = RunOnnx(model, input, new OnnxExportOptions { ExtraOutputs = extra }, "residual");

        Assert.Equal(1 + extra.Length, outputs.Count);
        AssertClose(model.Forward(input), outputs[0]);
        var expected = model.Run(input, [.. extra.Select(n => model.GetLayer(n).Index)]);
        for (var i = 0; i < extra.Length; i++)
        {
            AssertClose(expected[i], outputs[i + 1]);
        }

        var proto = Export(model, new OnnxExportOptions { ExtraOutputs = extra });
        Assert.Equal(["output", .. extra], proto.Graph.Output.Select(o => o.Name));
        Assert.Equal([-1L, 4, 8, 8], proto.Graph.Output[2].Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? -1 : d.DimValue));
    }

    [Theory]
    [MemberData(nameof(Opsets))]
    public void Preprocessing_InTheGraph_TakesRawPixels_AtEveryOpset(int opset)
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        model.Preprocessing = new ImagePreprocessing
        {
            TargetHeight = 8,
            TargetWidth = 8,
            Rescale = 1.0 / 255,
            SamplewiseStdNormalization = true,
            FeaturewiseMean = [0.1f, -0.2f, 0.05f],
            FeaturewiseStd = [0.9f, 1.1f, 1.3f],
        };
        using var full = Scalars.Create(255.0);
        var raw = rand([3, 3, 8, 8], generator: new Generator().manual_seed(9)).mul(full).floor();
        var options = new OnnxExportOptions { Opset = opset, IncludePreprocessing = true };

        var outputs = RunOnnx(model, raw, options, $"preprocessing_opset{opset}");

        AssertClose(model.Forward(model.Preprocessing.Standardize(raw)), outputs[0]);
        var proto = Export(model, options);
        Assert.Equal(OnnxExporter.IrVersionFor(opset), proto.IrVersion);
        Assert.Equal(opset, proto.OpsetImport.Single().Version);
    }

    [Fact]
    public void Metadata_CarriesClassNamesInputShapePreprocessingAndVersion()
    {
        using var model = GraphModels.Residual();
        model.ClassNames = ["a", "b", "c"];
        model.Preprocessing = new ImagePreprocessing { TargetHeight = 8, TargetWidth = 8, Rescale = 1.0 / 255 };

        var metadata = Export(model, new OnnxExportOptions()).MetadataProps.ToDictionary(p => p.Key, p => p.Value);

        Assert.Equal("[\"a\",\"b\",\"c\"]", metadata["class_names"]);
        Assert.Equal("{\"layout\":\"NCHW\",\"height\":8,\"width\":8,\"channels\":3}", metadata["input_shape"]);
        Assert.Equal("false", metadata["preprocessing_in_graph"]);
        Assert.Contains("\"rescale\":0.00392156862745098", metadata["preprocessing"], StringComparison.Ordinal);
        Assert.StartsWith("0.", metadata["convviz_version"], StringComparison.Ordinal);
    }

    [Fact]
    public void ExportOnnx_ToPath_WritesAtomicallyAndOnnxRuntimeLoadsIt()
    {
        using var scope = NewDisposeScope();
        using var model = GraphModels.Residual();
        var dir = Directory.CreateTempSubdirectory("convviz-onnx-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.onnx");
            File.WriteAllText(path, "old");

            var written = model.ExportOnnx(path);

            Assert.Equal(path, written);
            Assert.Equal(["model.onnx"], dir.GetFiles().Select(f => f.Name));
            using var session = new InferenceSession(path);
            Assert.Equal("input", session.InputMetadata.Keys.Single());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Refusals_NameTheProblem()
    {
        using var model = GraphModels.Residual();

        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxExportOptions { Opset = 12 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxExportOptions { Opset = 22 });
        var unknown = Assert.Throws<ArgumentException>(() => model.ExportOnnx(new MemoryStream(), new OnnxExportOptions { ExtraOutputs = ["nope"] }));
        Assert.Contains("nope", unknown.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<ArgumentException>(() => model.ExportOnnx(new MemoryStream(), new OnnxExportOptions { ExtraOutputs = ["stem", "stem"] }));
        Assert.Contains("twice", twice.Message, StringComparison.Ordinal);
        var noPreprocessing = Assert.Throws<InvalidOperationException>(() => model.ExportOnnx(new MemoryStream(), new OnnxExportOptions { IncludePreprocessing = true }));
        Assert.Contains("Preprocessing", noPreprocessing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LayerNamedInputOrOutput_DoesNotClashWithTheGraphNames()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(4, 4, 1).WithSeed(2)
            .AddConv2D(new Conv2DOptions { Name = "input", Filters = 2, KernelSize = 2 })
            .AddFlatten(new FlattenOptions { Name = "output" })
            .AddDense(2)
            .Build();
        var input = randn([1, 1, 4, 4], generator: new Generator().manual_seed(1));

        var outputs = RunOnnx(model, input, new OnnxExportOptions { ExtraOutputs = ["input", "output"] }, "names");

        AssertClose(model.Forward(input), outputs[0]);
        AssertClose(model.Run(input, [0])[0], outputs[1]);
    }

    private static ModelProto Export(Model model, OnnxExportOptions options)
    {
        using var stream = new MemoryStream();
        model.ExportOnnx(stream, options);
        return ModelProto.Parser.ParseFrom(stream.ToArray());
    }

    /// <summary>Exports <paramref name="model"/>, runs it in ONNX Runtime on <paramref name="input"/> and returns every output in graph order.</summary>
    private static List<DenseTensor> RunOnnx(Model model, Tensor input, OnnxExportOptions options, string name)
    {
        using var stream = new MemoryStream();
        model.ExportOnnx(stream, options);
        var bytes = stream.ToArray();
        if (Environment.GetEnvironmentVariable("CONVVIZ_ONNX_EXPORT_DIR") is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, name + ".onnx"), bytes);
        }

        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(bytes, sessionOptions);
        using var contiguous = input.to_type(ScalarType.Float32).contiguous();
        var data = new DenseTensor(contiguous.data<float>().ToArray(), [.. contiguous.shape.Select(d => (int)d)]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", data)]);
        return [.. results.Select(r => new DenseTensor(r.AsTensor<float>().ToArray(), r.AsTensor<float>().Dimensions))];
    }

    private void AssertClose(Tensor expected, DenseTensor actual)
    {
        using var contiguous = expected.contiguous();
        Assert.Equal(contiguous.shape.Select(d => (int)d), actual.Dimensions.ToArray());
        var e = contiguous.data<float>().ToArray();
        var a = actual.Buffer.ToArray();
        var worst = 0.0;
        for (var i = 0; i < e.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(e[i] - a[i]) / Math.Max(1, Math.Abs(e[i])));
        }

        output.WriteLine($"max relative difference {worst:E2} over {e.Length} values");
        Assert.True(worst <= Tolerance, $"ONNX Runtime differs from ConvViz by {worst:E2} (relative to max(1, |value|)); tolerance {Tolerance:E0}.");
    }

    private static void RandomizeBatchNormStatistics(Model model)
    {
        var generator = new Generator().manual_seed(21);
        foreach (var layer in model.Layers.Where(l => l.Options is BatchNormalizationOptions))
        {
            foreach (var weight in layer.WeightNames)
            {
                using var current = model.GetWeight(layer.Index, weight);
                using var noise = rand(current.shape, generator: generator);
                using var value = weight == "moving_variance" ? noise.add(Scalars.Half, Scalars.One) : noise.sub(Scalars.Half);
                model.SetWeight(layer.Index, weight, value);
            }
        }
    }
}
