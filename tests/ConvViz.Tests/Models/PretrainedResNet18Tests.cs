// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// The pretrained ResNet18 of NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 (downloaded to the package cache by this
/// project's PackageDownload, never copied into ConvViz): loaded with its input transform, compared with ONNX Runtime
/// running the package's two files one after the other.
/// </summary>
public sealed class PretrainedResNet18Tests(ITestOutputHelper output)
{
    private static readonly Lazy<Model> s_model = new(() => PretrainedModels.ResNet18());

    private static string ModelPath => PretrainedModels.FindResNet18() ?? throw new InvalidOperationException("The ResNet18 package is not in the NuGet cache: restore the test project.");

    private static string TransformPath => Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(ModelPath))!, "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    [Fact]
    public void ResNet18_WithItsTransform_EqualsOnnxRuntimeRunningBothFiles_AtBatch1And3()
    {
        using var scope = NewDisposeScope();
        var model = s_model.Value;
        foreach (var batch in new[] { 1, 3 })
        {
            var pixels = rand([batch, 3, 224, 224], generator: new Generator().manual_seed(batch)).mul(Scalars.ByteMax);
            using var prepared = OnnxImportTests.RunOnnxRuntime(File.ReadAllBytes(TransformPath), pixels, false);
            using var expected = OnnxImportTests.RunOnnxRuntime(File.ReadAllBytes(ModelPath), prepared, false);
            var actual = model.Predict(pixels);
            Assert.Equal([batch, 512, 1, 1], actual.shape);
            var worst = OnnxImportTests.MaxRelativeDifference(expected, actual);
            output.WriteLine($"batch {batch}: max relative difference {worst:E2}");
            Assert.True(worst <= 1e-4, $"ResNet18 differs from ONNX Runtime by {worst:E2}");
        }

        // Predict ran the executor's fused path: every convolution folded its batch normalization and (with oneDNN) ran a
        // prepacked kernel; all but the shortcut convolutions of the three downsampling blocks also fused a ReLU, or the
        // residual addition and ReLU (the shortcut runs before the block's second convolution, which adds it).
        var convolutions = model.LayerModules.OfType<Conv2DModule>().ToList();
        output.WriteLine($"{convolutions.Count} convolutions, {convolutions.Count(c => c.HoldsPrepackedWeights)} prepacked, {convolutions.Count(c => c.FusedCalls > 0)} fused a ReLU or an addition");
        Assert.All(convolutions, c => Assert.True(c.HoldsFoldedWeights));
        Assert.Equal(OneDnnConvolution.IsAvailable ? convolutions.Count : 0, convolutions.Count(c => c.HoldsPrepackedWeights));
        Assert.Equal(convolutions.Count - 3, convolutions.Count(c => c.FusedCalls > 0));
    }

    [Fact]
    public void ResNet18_LayerNamesSayStageAndBlock_AndCountsMatchThePackage()
    {
        var model = s_model.Value;
        var names = model.Layers.Select(l => l.Name).ToList();
        Assert.Equal(["input", "preprocess_red", "preprocess_green", "preprocess_blue", "preprocess_bgr", "preprocess_subtract_mean", "conv1", "bn1", "relu1", "pool1"], names.Take(10));
        Assert.Contains("stage1_block1_conv1", names);
        Assert.Contains("stage2_block1_shortcut_conv", names);
        Assert.Contains("stage4_block1_out", names);
        Assert.Equal("avg_pool", names[^1]);
        Assert.Equal(22, model.Layers.Count(l => l.Options is Conv2DOptions));
        Assert.Equal(22, model.Layers.Count(l => l.Options is BatchNormalizationOptions));
        Assert.Equal(9, model.Layers.Count(l => l.Options is AddOptions));
        Assert.DoesNotContain(names, n => n.StartsWith("Convolution", StringComparison.Ordinal));

        // The package's parameter count (ONNX initializers, BatchNormalization statistics included).
        Assert.Equal(15_908_800, model.Layers.Where(l => l.Options is not ElementwiseConstantOptions).Sum(l => l.ParameterCount));
    }

    [Fact]
    public void ResNet18_GradCamInsideAResidualBlock_IsNonZero()
    {
        using var scope = NewDisposeScope();
        // The blog's way: the pretrained base plus a new head.
        using var model = new SequentialBuilder(224, 224, 3).WithSeed(3)
            .AddModel(s_model.Value)
            .Add(new FlattenOptions())
            .Add(new DenseOptions { Units = 2, Activation = Activation.Softmax })
            .Build();
        // The default layer is the last block's output (7 × 7), not the 1 × 1 average pool after it.
        Assert.Equal("stage4_block3_out", GradCam.DefaultLayer(model).Name);
        var pixels = rand([1, 3, 224, 224], generator: new Generator().manual_seed(11)).mul(Scalars.ByteMax);
        using var result = GradCam.Compute(model, pixels, 1, new GradCamOptions { LayerName = "stage4_block1_relu1" });
        Assert.Equal([1, 224, 224], result.Maps.shape);
        Assert.True(result.Maps.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void ResNet18_MissingPackage_NamesThePackageToAdd()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-resnet-{Guid.NewGuid():N}", "ResNet18.onnx");
        var ex = Assert.Throws<FileNotFoundException>(() => PretrainedModels.ResNet18(missing));
        Assert.Contains(PretrainedModels.ResNet18Package, ex.Message);
    }
}
