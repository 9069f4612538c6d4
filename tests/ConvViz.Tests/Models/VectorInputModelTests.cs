// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Visualization;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

namespace ConvViz.Tests.Models;

/// <summary>
/// Models whose input is a vector (R keras' MNIST <c>layer_dense(units = 512, input_shape = c(784))</c>): built, run,
/// saved, exported, and refused by every feature that needs images.
/// </summary>
public sealed class VectorInputModelTests
{
    private static Model BuildMnistDense(int seed) =>
        new SequentialBuilder(new LayerShape(784)).WithSeed(seed)
            .AddDense(512, Activation.ReLU)
            .AddDropout(0.4)
            .AddDense(10, Activation.Softmax)
            .Build();

    [Fact]
    public void SequentialBuilder_VectorInput_PredictsTheDenseFormula()
    {
        using var model = BuildMnistDense(3);
        using var scope = NewDisposeScope();
        var x = rand([5, 784], generator: new Generator().manual_seed(7));

        using var predicted = model.Predict(x);

        // softmax(relu(x W1ᵀ + b1) W2ᵀ + b2), from the weights themselves (dropout is off at inference).
        var hidden = nn.functional.relu(nn.functional.linear(x, model.GetWeight(0, "kernel"), model.GetWeight(0, "bias")));
        var expected = nn.functional.softmax(nn.functional.linear(hidden, model.GetWeight(2, "kernel"), model.GetWeight(2, "bias")), 1);
        Assert.Equal([5L, 10L], predicted.shape);
        Assert.True(predicted.allclose(expected, rtol: 0, atol: 1e-6));
        Assert.Equal(new LayerShape(784), model.InputLayerShape);
        Assert.Equal(784L * 512 + 512 + (512 * 10) + 10, model.ParameterCount);

        // The layers' activations are available as for an image model.
        using var dense = IntermediateModel.From(model, 0).Predict(x);
        Assert.True(dense.allclose(hidden, rtol: 0, atol: 1e-6));
        Assert.Equal(5, model.PredictClasses(x).Count);
    }

    [Fact]
    public void FunctionalBuilder_VectorInput_BatchNormalizationAndActivationOnFeatures()
    {
        var builder = new FunctionalBuilder(new LayerShape(20)).WithSeed(1);
        var x = builder.Add(new DenseOptions { Units = 16 }, builder.Input);
        x = builder.Add(new BatchNormalizationOptions(), x);
        x = builder.Add(new ActivationOptions { Activation = Activation.Tanh }, x);
        var y = builder.Add(new ConcatenateOptions(), x, builder.Input);
        using var model = builder.Build(builder.Add(new DenseOptions { Units = 3, Activation = Activation.Sigmoid }, y));
        Assert.Equal("(None, 20)", model.Layers[0].OutputShape.ToString());
        Assert.Equal("(None, 36)", model.Layers[4].OutputShape.ToString());
        Assert.Throws<InvalidOperationException>(() => builder.InputShape);
        Assert.Equal(new LayerShape(20), builder.InputLayerShape);

        using var scope = NewDisposeScope();
        var input = randn([4, 20], generator: new Generator().manual_seed(2));
        var bn = model.GetWeight(2, "moving_mean");
        Assert.Equal([16L], bn.shape);
        using var output = model.Predict(input);
        Assert.Equal([4L, 3L], output.shape);
    }

    [Fact]
    public void SaveLoad_VectorModel_SameOutputs_AndArchitectureStoresFeatures()
    {
        using var model = BuildMnistDense(4);
        model.ClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        using var stream = new MemoryStream();
        model.Save(stream);
        var bytes = stream.ToArray();

        // The safetensors header (its metadata holds the architecture JSON) names the vector input.
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        Assert.Contains("features\\\":784", header, StringComparison.Ordinal);
        Assert.DoesNotContain("\\\"height\\\"", header, StringComparison.Ordinal);

        using var loaded = Model.Load(new MemoryStream(bytes));
        Assert.Equal(new LayerShape(784), loaded.InputLayerShape);
        Assert.Equal(model.ClassNames, loaded.ClassNames);
        using var scope = NewDisposeScope();
        var x = rand([3, 784], generator: new Generator().manual_seed(5));
        Assert.Equal(model.Predict(x).data<float>().ToArray(), loaded.Predict(x).data<float>().ToArray());
    }

    [Fact]
    public void ExportOnnx_VectorModel_InputIsBatchByFeatures_OnnxRuntimeAgrees_AndLoadsBack()
    {
        using var model = BuildMnistDense(6);
        using var stream = new MemoryStream();
        model.ExportOnnx(stream, new OnnxExportOptions());

        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(stream.ToArray(), sessionOptions);
        Assert.Equal([-1, 784], session.InputMetadata["input"].Dimensions);
        Assert.Contains("\"features\":784", session.ModelMetadata.CustomMetadataMap["input_shape"], StringComparison.Ordinal);

        using var scope = NewDisposeScope();
        var x = rand([2, 784], generator: new Generator().manual_seed(8));
        var data = new DenseTensor(x.data<float>().ToArray(), [2, 784]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", data)]);
        var onnx = results.First().AsTensor<float>().ToArray();
        var expected = model.Predict(x).data<float>().ToArray();
        Assert.Equal(expected.Length, onnx.Length);
        Assert.True(expected.Zip(onnx, (e, a) => Math.Abs(e - a)).Max() <= 1e-5);

        // The exported file loads back as a model that takes vectors.
        using var imported = Model.Load(new MemoryStream(stream.ToArray()));
        Assert.Equal(new LayerShape(784), imported.InputLayerShape);
        var roundTrip = imported.Predict(x).data<float>().ToArray();
        Assert.True(expected.Zip(roundTrip, (e, a) => Math.Abs(e - a)).Max() <= 1e-6);
    }

    [Fact]
    public void ImageOnlyFeatures_RefuseVectorModels_SayingSo()
    {
        using var model = BuildMnistDense(2);
        using var scope = NewDisposeScope();
        var x = rand([1, 784], generator: new Generator().manual_seed(1));
        var photo = Path.Combine(AppContext.BaseDirectory, "TestAssets", "chelsea.png");

        AssertTakesVectors(() => GradCam.Compute(model, x, 0), "Grad-CAM");
        AssertTakesVectors(() => GradCam.DefaultLayer(model), "Grad-CAM");
        AssertTakesVectors(() => GradCamPlusPlus.Compute(model, x, 0), "Grad-CAM++");
        AssertTakesVectors(() => Saliency.Compute(model, x, 0), "Saliency");
        AssertTakesVectors(() => IntermediateModel.FromFeatureMapLayers(model), "FromFeatureMapLayers");
        AssertTakesVectors(() => IntermediateModel.From(model, 0).Predict(photo), "LoadImage");
        AssertTakesVectors(() => HtmlReport.Create(model), "HTML report");
        AssertTakesVectors(() => model.PredictImage(photo), "PredictImage");
        AssertTakesVectors(() => model.PredictImageClass(photo), "PredictImageClass");
        AssertTakesVectors(() => model.GetImagePreprocessing(), "GetImagePreprocessing");
        var shape = Assert.Throws<InvalidOperationException>(() => model.InputShape);
        Assert.Contains("InputLayerShape", shape.Message, StringComparison.Ordinal);

        var preprocessing = Assert.Throws<ArgumentException>(() => model.Preprocessing = new ImagePreprocessing { TargetHeight = 28, TargetWidth = 28 });
        Assert.Contains("takes vectors", preprocessing.Message, StringComparison.Ordinal);

        // A batch of images is not a batch of vectors: the message gives the shape the model takes.
        var images = Assert.Throws<ArgumentException>(() => model.Predict(zeros(1, 1, 28, 28)));
        Assert.Contains("[N, 784]", images.Message, StringComparison.Ordinal);
    }

    private static void AssertTakesVectors(Func<object> action, string feature)
    {
        var ex = Assert.Throws<InvalidOperationException>(action);
        Assert.Contains(feature, ex.Message, StringComparison.Ordinal);
        Assert.Contains("takes vectors of 784 features", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 784)", ex.Message, StringComparison.Ordinal);
    }
}
