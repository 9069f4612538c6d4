// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using ConvViz.Visualization;
using static TorchSharp.torch;

namespace ConvViz.Tests.Performance;

/// <summary>
/// Channels-last (the default) computes the same fp32 math as channels-first: outputs, gradients and one Adamax step
/// on the blog model; returned tensors keep their [N, C, H, W] meaning. bfloat16 is opt-in, refused where the CPU has
/// no bf16 units, keeps fp32 master weights, and learns as well as fp32.
/// </summary>
public sealed class LayoutAndPrecisionTests : IDisposable
{
    private readonly Func<bool>? _savedProbe = PrecisionSupport.CpuProbeOverride;

    public void Dispose() => PrecisionSupport.CpuProbeOverride = _savedProbe;

    private static Model Blog(MemoryLayout layout)
    {
        var model = BlogModel.CreateBuilder().WithSeed(3).Build();
        model.Layout = layout;
        return model.Compile(Loss.CategoricalCrossentropy, OptimizerOptions.Adamax(0.001), Metric.Accuracy);
    }

    private static (Tensor Images, Tensor Labels) Batch(int n, int seed)
    {
        using var g = new Generator((ulong)seed);
        var images = rand([n, 3, 150, 150], generator: g);
        var labels = nn.functional.one_hot(randint(0, 2, [n], generator: g), 2).to_type(ScalarType.Float32);
        return (images, labels);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        var scale = Math.Max(1e-6, expected.abs().max().item<float>());
        Assert.True(diff <= tolerance * scale, $"{what}: max |difference| {diff} exceeds {tolerance} × {scale}");
    }

    [Fact]
    public void ChannelsLast_IsTheDefault_AndTheKernelsAreStoredThatWay()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().WithSeed(3).Build();
        Assert.Equal(MemoryLayout.ChannelsLast, model.Layout);
        var kernel = model.Module.named_parameters().First(p => p.name.EndsWith("kernel", StringComparison.Ordinal)).parameter;
        Assert.True(Model.IsChannelsLast(kernel), $"conv kernel strides [{string.Join(", ", kernel.stride())}]");
    }

    [Fact]
    public void ChannelsLast_MatchesChannelsFirst_OutputsGradientsAndOneAdamaxStep()
    {
        using var scope = NewDisposeScope();
        using var last = Blog(MemoryLayout.ChannelsLast);
        using var first = Blog(MemoryLayout.ChannelsFirst);
        var (images, labels) = Batch(6, 11);

        // Outputs (evaluation mode, so dropout is off).
        using (no_grad())
        {
            AssertClose(first.Forward(images), last.Forward(images), 1e-5, "output");
        }

        // Gradients of the loss with respect to every parameter (training mode with dropout would differ by mask, so eval mode).
        var grads = new List<Tensor[]>();
        foreach (var model in new[] { first, last })
        {
            model.Module.zero_grad();
            var loss = LossFunctions.PerSample(Loss.CategoricalCrossentropy, model.Forward(images), labels).mean();
            loss.backward();
            grads.Add(model.Module.parameters().Select(p => p.grad!.clone()).ToArray());
            model.Module.zero_grad();
        }

        for (var i = 0; i < grads[0].Length; i++)
        {
            AssertClose(grads[0][i], grads[1][i], 1e-4, $"gradient of parameter {i}");
        }

        // One Adamax step through Fit (dropout seeded identically in both).
        foreach (var model in new[] { first, last })
        {
            manual_seed(5);
            using var data = new InMemoryDataset(images, labels, 6);
            model.Fit(data, new FitOptions { Epochs = 1 });
        }

        var a = first.Module.parameters().ToArray();
        var b = last.Module.parameters().ToArray();
        for (var i = 0; i < a.Length; i++)
        {
            // Adamax moves a weight by at most its learning rate (1e-3) per step: 1e-6 is 1% of a step.
            var diff = (a[i] - b[i]).abs().max().item<float>();
            Assert.True(diff <= 1e-5, $"parameter {i} after one Adamax step differs by {diff}");
        }
    }

    [Fact]
    public void ReturnedActivations_KeepTheirMeaning_ExportAndPicturesAgreeAcrossLayouts()
    {
        using var scope = NewDisposeScope();
        using var last = Blog(MemoryLayout.ChannelsLast);
        using var first = Blog(MemoryLayout.ChannelsFirst);
        var (images, _) = Batch(1, 12);
        var a = IntermediateModel.From(first, 5).Predict(images);
        var b = IntermediateModel.From(last, 5).Predict(images);
        Assert.True(Model.IsChannelsLast(b), "channels-last activations come back with channels-last strides, as documented");
        AssertClose(a, b, 1e-5, "activation of layer 5");
        Assert.Equal(ActivationExport.ToArray(a), ActivationExport.ToArray(b), new FloatTolerance(1e-4f));

        using var pa = FeatureMapGrid.Render(a);
        using var pb = FeatureMapGrid.Render(b);
        var maxDiff = 0;
        for (var y = 0; y < pa.Height; y++)
        {
            for (var x = 0; x < pa.Width; x++)
            {
                var (p, q) = (pa[x, y], pb[x, y]);
                maxDiff = Math.Max(maxDiff, Math.Max(Math.Abs(p.R - q.R), Math.Max(Math.Abs(p.G - q.G), Math.Abs(p.B - q.B))));
            }
        }

        Assert.True(maxDiff <= 1, $"feature-map grids differ by {maxDiff} grey levels");
    }

    [Fact]
    public void BFloat16_OnACpuWithoutBf16Units_IsRefusedNamingTheOptionAndTheFix()
    {
        PrecisionSupport.CpuProbeOverride = () => false;
        using var model = BlogModel.CreateBuilder().WithSeed(3).Build();
        var compile = Assert.Throws<NotSupportedException>(() => model.Compile(new CompileOptions { Precision = Precision.BFloat16 }));
        Assert.Contains("CompileOptions.Precision", compile.Message, StringComparison.Ordinal);
        Assert.Contains("Precision.Float32", compile.Message, StringComparison.Ordinal);
        var set = Assert.Throws<NotSupportedException>(() => model.Precision = Precision.BFloat16);
        Assert.Contains("Model.Precision", set.Message, StringComparison.Ordinal);
        Assert.Equal(Precision.Float32, model.Precision);
    }

    [Fact]
    public void Precision_UnknownValue_IsRefusedNamingTheOption()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new CompileOptions { Precision = (Precision)7 });
        Assert.Contains("CompileOptions.Precision", ex.Message, StringComparison.Ordinal);
        using var model = BlogModel.CreateBuilder().WithSeed(3).Build();
        var set = Assert.Throws<ArgumentOutOfRangeException>(() => model.Precision = (Precision)7);
        Assert.Contains("Model.Precision", set.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BFloat16_KeepsFloat32MasterWeightsAndOutputs_AndSavesFloat32Files()
    {
        PrecisionSupport.CpuProbeOverride = () => true;
        using var scope = NewDisposeScope();
        using var model = Blog(MemoryLayout.ChannelsLast);
        var (images, labels) = Batch(4, 13);
        Tensor fp32;
        using (no_grad())
        {
            fp32 = model.Forward(images);
        }

        model.Compile(model.Compilation! with { Precision = Precision.BFloat16 });
        Assert.Equal(Precision.BFloat16, model.Precision);
        using (no_grad())
        {
            var bf16 = model.Forward(images);
            Assert.Equal(ScalarType.Float32, bf16.dtype);
            AssertClose(fp32, bf16, 0.05, "bf16 output against fp32");
            var maps = IntermediateModel.From(model, 5).Predict(images);
            Assert.Equal(ScalarType.Float32, maps.dtype);
        }

        using var data = new InMemoryDataset(images, labels, 4);
        model.Fit(data, new FitOptions { Epochs = 1 });
        Assert.All(model.Module.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));

        var path = Path.Combine(Path.GetTempPath(), $"convviz-bf16-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            using var loaded = Model.Load(path);
            Assert.Equal(Precision.BFloat16, loaded.Compilation!.Precision);
            Assert.All(loaded.Module.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            AssertClose(model.Module.parameters().First(), loaded.Module.parameters().First(), 0, "saved weights");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BFloat16_LearnsTheShapesTask_WithinTwoPointsOfFloat32()
    {
        PrecisionSupport.CpuProbeOverride = () => true;
        var accuracy = new Dictionary<Precision, double>();
        foreach (var precision in new[] { Precision.Float32, Precision.BFloat16 })
        {
            using var scope = NewDisposeScope();
            manual_seed(21);
            using var train = Bars(480, seed: 1);
            using var test = Bars(200, seed: 2);
            using var model = new SequentialBuilder(16, 16, 1).WithSeed(8)
                .AddConv2D(8, 3, Activation.ReLU).AddMaxPooling2D(2)
                .AddFlatten().AddDense(16, Activation.ReLU).AddDense(2, Activation.Softmax)
                .Build();
            model.Compile(new CompileOptions { Optimizer = OptimizerOptions.Adamax(0.01), Precision = precision });
            model.Fit(train, new FitOptions { Epochs = 8 });
            accuracy[precision] = model.Evaluate(test)["accuracy"];
        }

        Assert.True(accuracy[Precision.Float32] >= 0.85, $"the fp32 reference did not learn the task: {accuracy[Precision.Float32]:F3}");
        Assert.True(accuracy[Precision.BFloat16] >= accuracy[Precision.Float32] - 0.02,
            $"bf16 accuracy {accuracy[Precision.BFloat16]:F3} vs fp32 {accuracy[Precision.Float32]:F3}");
    }

    /// <summary>16×16 noisy grey images with one bright bar: class 0 a horizontal bar, class 1 a vertical one, at a random place.</summary>
    private static InMemoryDataset Bars(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * 16 * 16];
        var labels = new float[count * 2];
        for (var n = 0; n < count; n++)
        {
            var vertical = random.Next(2);
            var at = random.Next(2, 14);
            labels[(n * 2) + vertical] = 1;
            for (var y = 0; y < 16; y++)
            {
                for (var x = 0; x < 16; x++)
                {
                    var onBar = vertical == 1 ? x == at : y == at;
                    pixels[(n * 256) + (y * 16) + x] = (float)((random.NextDouble() - 0.5) * 0.6) + (onBar ? 1f : 0f);
                }
            }
        }

        return new InMemoryDataset(tensor(pixels, [count, 1, 16, 16]), tensor(labels, [count, 2]), 32, shuffle: true, seed: seed);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));

        public int GetHashCode(float obj) => 0;
    }
}
