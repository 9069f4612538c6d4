// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

public sealed class SequentialBuilderTests
{
    [Fact]
    public void Build_BlogModel_Has385090Parameters()
    {
        using var model = BlogModel.CreateBuilder().Build();

        Assert.Equal(385_090, model.ParameterCount);
        Assert.Equal(385_090, model.TrainableParameterCount);
        // The count is taken from the real TorchSharp parameters, so compare with the module too.
        Assert.Equal(385_090, model.Module.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Build_BlogModel_InfersKerasShapes()
    {
        var builder = BlogModel.CreateBuilder();

        Assert.Equal("(None, 2)", builder.OutputShape.ToString());
        using var model = builder.Build();
        Assert.Equal("(None, 148, 148, 8)", model.Layers[0].OutputShape.ToString());
        Assert.Equal("(None, 33, 33, 64)", model.Layers[5].OutputShape.ToString());
        Assert.Equal("(None, 3136)", model.Layers[8].OutputShape.ToString());
        Assert.Equal(["conv2d", "conv2d_1", "max_pooling2d", "conv2d_2"], model.Layers.Take(4).Select(l => l.Name));
    }

    [Fact]
    public void Build_EveryLayerKind_ParameterCountsFollowKerasFormulas()
    {
        using var model = new SequentialBuilder(12, 10, 3)
            .AddConv2D(new Conv2DOptions { Filters = 5, KernelSize = (3, 2), Padding = Padding.Same })
            .AddBatchNormalization()
            .AddActivation(Activation.ReLU)
            .AddConv2D(new Conv2DOptions { Filters = 4, KernelSize = 3, UseBias = false })
            .AddMaxPooling2D()
            .AddAveragePooling2D(new AveragePooling2DOptions { PoolSize = 2, Strides = 1, Padding = Padding.Same })
            .AddGlobalMaxPooling2D()
            .AddDense(7, Activation.Tanh)
            .AddBatchNormalization()
            .AddDropout(0.5)
            .AddDense(new DenseOptions { Units = 3, UseBias = false, Activation = Activation.Softmax })
            .Build();

        long[] expected =
        [
            ((3 * 2 * 3) + 1) * 5, // Conv2D: (kh·kw·c_in + 1)·filters
            4 * 5,                 // BatchNormalization: gamma, beta, moving mean, moving variance
            0,
            3 * 3 * 5 * 4,         // Conv2D without bias
            0, 0, 0,
            (4 + 1) * 7,           // Dense: (in + 1)·units
            4 * 7,
            0,
            7 * 3,                 // Dense without bias
        ];
        Assert.Equal(expected, model.Layers.Select(l => l.ParameterCount));
        Assert.Equal(2 * 5, model.Layers[1].TrainableParameterCount);
        Assert.Equal(2 * 5, model.Layers[1].NonTrainableParameterCount);
        Assert.Equal(expected.Sum() - (2 * 5) - (2 * 7), model.TrainableParameterCount);
        var real = model.Module.parameters().Sum(p => p.numel()) + model.Module.buffers().Sum(b => b.numel());
        Assert.Equal(expected.Sum(), real);
    }

    [Fact]
    public void Add_LayersOfEveryKind_GetKerasNamesAndTypes()
    {
        var builder = new SequentialBuilder(8, 8, 1)
            .AddConv2D(2, 3).AddConv2D(2, 1).AddMaxPooling2D(1).AddAveragePooling2D(1).AddBatchNormalization()
            .AddActivation(Activation.ReLU).AddGlobalAveragePooling2D();
        using var model = builder.Build();
        using var model2 = new SequentialBuilder(8, 8, 1).AddGlobalMaxPooling2D().AddFlatten().AddDense(2).AddDropout(0.1).Build();

        Assert.Equal(
            ["conv2d", "conv2d_1", "max_pooling2d", "average_pooling2d", "batch_normalization", "activation", "global_average_pooling2d"],
            model.Layers.Select(l => l.Name));
        Assert.Equal(["global_max_pooling2d", "flatten", "dense", "dropout"], model2.Layers.Select(l => l.Name));
        Assert.Equal("GlobalAveragePooling2D", model.Layers[^1].TypeName);
        Assert.Equal("(None, 2)", model.OutputShape.ToString());
    }

    [Fact]
    public void Add_FailingLayer_DoesNotConsumeAName()
    {
        var builder = new SequentialBuilder(4, 4, 1).AddConv2D(2, 3);

        Assert.Throws<ArgumentException>(() => builder.AddConv2D(2, 3));
        builder.AddConv2D(2, 1);

        Assert.Equal(2, builder.Count);
        using var model = builder.Build();
        Assert.Equal("conv2d_1", model.Layers[1].Name);
    }

    [Fact]
    public void Add_DuplicateUserName_ThrowsNamingTheOtherLayer()
    {
        var builder = new SequentialBuilder(8, 8, 1).AddConv2D(new Conv2DOptions { Filters = 2, KernelSize = 3, Name = "features" });

        var ex = Assert.Throws<ArgumentException>(() => builder.AddMaxPooling2D(new MaxPooling2DOptions { Name = "features" }));

        Assert.Contains("'features'", ex.Message);
        Assert.Contains("layer 0", ex.Message);
        Assert.Equal(1, builder.Count);
    }

    [Fact]
    public void Add_UserNameEqualToAnAutomaticName_AutomaticNameSkipsIt()
    {
        using var model = new SequentialBuilder(8, 8, 1)
            .AddConv2D(new Conv2DOptions { Filters = 2, KernelSize = 3, Name = "conv2d" })
            .AddConv2D(2, 3)
            .Build();

        Assert.Equal(["conv2d", "conv2d_1"], model.Layers.Select(l => l.Name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1st")]
    [InlineData("has.dot")]
    [InlineData("has space")]
    public void Name_Invalid_Throws(string name) =>
        Assert.Throws<ArgumentException>(() => new DenseOptions { Units = 1, Name = name });

    // TensorFlow: valid ⌈(n − (k−1)·d) / s⌉, same ⌈n / s⌉.
    [Theory]
    [InlineData(150, 3, 1, 1, Padding.Valid, 148)]
    [InlineData(150, 3, 1, 1, Padding.Same, 150)]
    [InlineData(150, 3, 2, 1, Padding.Valid, 74)]
    [InlineData(150, 3, 2, 1, Padding.Same, 75)]
    [InlineData(7, 4, 3, 1, Padding.Valid, 2)]
    [InlineData(7, 4, 3, 1, Padding.Same, 3)]
    [InlineData(10, 3, 1, 2, Padding.Valid, 6)]
    [InlineData(10, 3, 1, 2, Padding.Same, 10)]
    [InlineData(5, 5, 1, 1, Padding.Valid, 1)]
    public void AddConv2D_OutputSize_MatchesTensorFlowFormula(int input, int kernel, int stride, int dilation, Padding padding, int expected)
    {
        var builder = new SequentialBuilder(input, input + 1, 2)
            .AddConv2D(new Conv2DOptions { Filters = 3, KernelSize = kernel, Strides = stride, DilationRate = dilation, Padding = padding });
        var tfWidth = padding == Padding.Same
            ? (input + 1 + stride - 1) / stride
            : (input + 1 - ((kernel - 1) * dilation) + stride - 1) / stride;

        Assert.Equal(new LayerShape(expected, tfWidth, 3), builder.OutputShape);

        // The module must produce exactly the inferred shape.
        using var scope = NewDisposeScope();
        using var model = builder.Build();
        using var output = model.Forward(ones(1, 2, input, input + 1));
        Assert.Equal(new long[] { 1, 3, expected, tfWidth }, output.shape);
    }

    [Theory]
    [InlineData(7, 2, null, Padding.Valid, 3)]
    [InlineData(7, 2, null, Padding.Same, 4)]
    [InlineData(7, 3, 2, Padding.Valid, 3)]
    [InlineData(8, 3, 2, Padding.Same, 4)]
    [InlineData(5, 3, 1, Padding.Same, 5)]
    public void AddPooling_OutputSize_MatchesTensorFlowFormula(int input, int pool, int? stride, Padding padding, int expected)
    {
        foreach (var max in new[] { true, false })
        {
            var strides = stride is { } s ? (Size2D?)s : null;
            var builder = new SequentialBuilder(input, input, 2);
            builder = max
                ? builder.AddMaxPooling2D(new MaxPooling2DOptions { PoolSize = pool, Strides = strides, Padding = padding })
                : builder.AddAveragePooling2D(new AveragePooling2DOptions { PoolSize = pool, Strides = strides, Padding = padding });

            Assert.Equal(new LayerShape(expected, expected, 2), builder.OutputShape);
            using var scope = NewDisposeScope();
            using var model = builder.Build();
            using var output = model.Forward(rand(1, 2, input, input));
            Assert.Equal(new long[] { 1, 2, expected, expected }, output.shape);
        }
    }

    [Fact]
    public void Conv2D_SameWithStride2_PadsAsymmetricallyLikeTensorFlow()
    {
        // 4×4 input, 3×3 kernel, stride 2: TF pads 0 before and 1 after. A kernel that picks its top-left tap reads
        // input[2i, 2j]; with symmetric padding it would read input[2i − 1, 2j − 1] instead.
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(4, 4, 1)
            .AddConv2D(new Conv2DOptions { Filters = 1, KernelSize = 3, Strides = 2, Padding = Padding.Same, UseBias = false })
            .Build();
        using (no_grad())
        {
            var kernel = model.LayerModules[0].get_parameter("kernel")!;
            kernel.zero_();
            kernel[0, 0, 0, 0] = tensor(1f);
        }

        using var pixelCount = Scalars.Create(16);
        var input = arange(Scalars.Zero, pixelCount, Scalars.One, dtype: ScalarType.Float32).reshape(1, 1, 4, 4);
        var output = model.Forward(input);

        Assert.Equal(new float[] { 0, 2, 8, 10 }, output.flatten().data<float>().ToArray());
    }

    [Fact]
    public void AveragePooling_Same_AveragesOnlyRealValuesLikeTensorFlow()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(3, 3, 1).AddAveragePooling2D(new AveragePooling2DOptions { PoolSize = 2, Padding = Padding.Same }).Build();
        using var stop = Scalars.Create(10);
        var input = arange(Scalars.One, stop, Scalars.One, dtype: ScalarType.Float32).reshape(1, 1, 3, 3);

        var output = model.Forward(input).flatten().data<float>().ToArray();

        // Windows: [1,2,4,5] → 3, [3,6] → 4.5, [7,8] → 7.5, [9] → 9.
        Assert.Equal(new float[] { 3f, 4.5f, 7.5f, 9f }, output);
    }

    [Fact]
    public void MaxPooling_Same_IgnoresPadding()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(3, 3, 1).AddMaxPooling2D(new MaxPooling2DOptions { PoolSize = 2, Padding = Padding.Same }).Build();
        using var stop = Scalars.Create(10);
        using var minusOne = Scalars.Create(-1);
        var input = arange(Scalars.One, stop, Scalars.One, dtype: ScalarType.Float32).mul(minusOne).reshape(1, 1, 3, 3);

        var output = model.Forward(input).flatten().data<float>().ToArray();

        Assert.Equal(new float[] { -1f, -3f, -7f, -9f }, output);
    }

    [Fact]
    public void Flatten_UsesKerasChannelsLastOrder()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(1, 2, 3).AddFlatten().Build();
        // Channels-first [1, C=3, H=1, W=2]: channel c, column w holds 10·c + w.
        var input = tensor(new float[] { 0, 1, 10, 11, 20, 21 }).reshape(1, 3, 1, 2);

        var output = model.Forward(input).data<float>().ToArray();

        Assert.Equal(new float[] { 0, 10, 20, 1, 11, 21 }, output);
    }

    [Fact]
    public void GlobalPooling_ReducesSpatialAxes()
    {
        using var scope = NewDisposeScope();
        using var avg = new SequentialBuilder(2, 2, 2).AddGlobalAveragePooling2D().Build();
        using var max = new SequentialBuilder(2, 2, 2).AddGlobalMaxPooling2D().Build();
        var input = tensor(new float[] { 1, 2, 3, 4, -1, -2, -3, -8 }).reshape(1, 2, 2, 2);

        Assert.Equal(new float[] { 2.5f, -3.5f }, avg.Forward(input).data<float>().ToArray());
        Assert.Equal(new float[] { 4f, -1f }, max.Forward(input).data<float>().ToArray());
    }

    [Fact]
    public void WithSeed_SameSeed_GivesIdenticalWeights()
    {
        using var a = BlogModel.CreateBuilder().WithSeed(42).Build();
        using var b = BlogModel.CreateBuilder().WithSeed(42).Build();
        using var c = BlogModel.CreateBuilder().WithSeed(43).Build();

        var pa = a.Module.parameters().ToArray();
        var pb = b.Module.parameters().ToArray();
        var pc = c.Module.parameters().ToArray();
        Assert.All(pa.Zip(pb), p => Assert.True(p.First.eq(p.Second).all().item<bool>()));
        Assert.False(pa[0].eq(pc[0]).all().item<bool>());
    }

    [Fact]
    public void Build_DefaultInitializers_GlorotUniformKernelsAndZeroBiases()
    {
        using var model = new SequentialBuilder(10, 10, 3).WithSeed(1).AddConv2D(64, 3).AddFlatten().AddDense(50).Build();

        var conv = model.LayerModules[0];
        var limit = Math.Sqrt(6.0 / ((3 * 3 * 3) + (3 * 3 * 64)));
        var kernel = conv.get_parameter("kernel")!;
        Assert.True(kernel.abs().max().item<float>() <= limit);
        Assert.True(kernel.abs().max().item<float>() > 0.9 * limit, "the whole glorot range is used");
        Assert.Equal(0f, conv.get_parameter("bias")!.abs().sum().item<float>());
    }

    [Theory]
    [InlineData(Initializer.HeUniform, 6.0)]
    [InlineData(Initializer.LecunUniform, 3.0)]
    public void Initializer_Uniform_StaysWithinKerasLimit(Initializer initializer, double numerator)
    {
        using var model = new SequentialBuilder(4, 4, 1).WithSeed(3).AddFlatten()
            .AddDense(new DenseOptions { Units = 200, KernelInitializer = initializer, BiasInitializer = Initializer.Ones })
            .Build();

        var dense = model.LayerModules[1];
        var limit = Math.Sqrt(numerator / 16);
        Assert.InRange(dense.get_parameter("kernel")!.abs().max().item<float>(), 0.9 * limit, limit);
        Assert.Equal(200f, dense.get_parameter("bias")!.sum().item<float>());
    }

    [Fact]
    public void Initializer_HeNormal_IsTruncatedAtTwoSigma()
    {
        using var model = new SequentialBuilder(10, 10, 4).WithSeed(5).AddFlatten()
            .AddDense(new DenseOptions { Units = 100, KernelInitializer = Initializer.HeNormal })
            .Build();

        var kernel = model.LayerModules[1].get_parameter("kernel")!;
        var sigma = Math.Sqrt(2.0 / 400) / 0.87962566103423978;
        Assert.True(kernel.abs().max().item<float>() <= 2 * sigma + 1e-6);
        Assert.InRange(kernel.std().item<float>(), 0.9 * Math.Sqrt(2.0 / 400), 1.1 * Math.Sqrt(2.0 / 400));
    }

    [Fact]
    public void Dropout_InEvalMode_IsIdentity_InTrainingMode_Drops()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(1, 1, 1).AddFlatten().AddDense(1000).AddDropout(0.5).Build();
        var input = ones(1, 1, 1, 1);

        var eval = model.Forward(input);
        model.Module.train();
        var train = model.Forward(input);
        model.Module.eval();
        var withoutDropout = model.ForwardTo(input, 1);

        Assert.True(eval.eq(withoutDropout).all().item<bool>());
        var zeros = train.eq(Scalars.Zero).sum().item<long>() - withoutDropout.eq(Scalars.Zero).sum().item<long>();
        Assert.InRange(zeros, 350, 650);
    }

    [Fact]
    public void BatchNormalization_EvalUsesMovingStatistics_TrainingUpdatesThemWithKerasMomentum()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(2, 2, 1).AddBatchNormalization(new BatchNormalizationOptions { Momentum = 0.9 }).Build();
        using var three = Scalars.Create(3f);
        using var one = Scalars.Create(1f);
        using var expectedEval = Scalars.Create(3 / Math.Sqrt(1.001));
        var input = full(1, 1, 2, 2, three);

        // Eval: (x − 0) / √(1 + 1e-3).
        var eval = model.Forward(input);
        Assert.True(eval.allclose(full(1, 1, 2, 2, expectedEval), atol: 1e-5));

        model.Module.train();
        var batch = cat([full(1, 1, 2, 2, one), full(1, 1, 2, 2, three)], 0);
        var train = model.Forward(batch);
        model.Module.eval();

        // moving_mean = 0.9 · 0 + 0.1 · 2.
        Assert.Equal(0.2f, model.LayerModules[0].get_buffer("moving_mean")!.item<float>(), 5);
        Assert.True(train.mean().abs().item<float>() < 1e-5, "training mode normalizes with the batch statistics");
    }

    [Fact]
    public void Activation_Softmax_RunsOverChannels()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(2, 2, 3).AddActivation(Activation.Softmax).Build();

        var output = model.Forward(rand(2, 3, 2, 2));

        Assert.True(output.sum(1).allclose(ones(2, 2, 2), atol: 1e-5));
    }

    [Fact]
    public void Forward_BlogModel_ReturnsProbabilities()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        manual_seed(1);
        var input = rand(4, 3, 150, 150);

        var output = model.Forward(input);

        Assert.Equal([4L, 2L], output.shape);
        var sums = output.sum(1);
        Assert.True(sums.allclose(ones(4), atol: 1e-5), "softmax rows must sum to 1");
    }

    [Fact]
    public void Forward_WrongInputShape_ThrowsNamingBothShapes()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();

        var ex = Assert.Throws<ArgumentException>(() => model.Forward(rand(1, 3, 64, 64)));

        Assert.Contains("[N, 3, 150, 150]", ex.Message);
        Assert.Contains("[1, 3, 64, 64]", ex.Message);
    }

    [Fact]
    public void AddConv2D_KernelLargerThanInput_FailsAtAddNamingLayerIndexAndShapes()
    {
        var builder = new SequentialBuilder(2, 2, 1);

        var ex = Assert.Throws<ArgumentException>(() => builder.AddConv2D(4, 3));

        Assert.Contains("Layer 0 'conv2d'", ex.Message);
        Assert.Contains("(None, 2, 2, 1)", ex.Message);
        Assert.Contains("(None, 0, 0, 4)", ex.Message);
    }

    [Fact]
    public void AddDense_OnFeatureMap_FailsAndSuggestsFlatten()
    {
        var builder = new SequentialBuilder(8, 8, 1).AddConv2D(2, 3);

        var ex = Assert.Throws<ArgumentException>(() => builder.AddDense(10));

        Assert.Contains("Flatten", ex.Message);
        Assert.Contains("Layer 1 'dense'", ex.Message);
        Assert.Contains("(None, 6, 6, 2)", ex.Message);
        Assert.Contains("(None, 10)", ex.Message);
    }

    [Fact]
    public void AddConv2D_ZeroFilters_FailsNamingLayerAndInput()
    {
        var builder = new SequentialBuilder(8, 8, 1).AddConv2D(2, 3);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddConv2D(0, 3));

        Assert.Contains("Layer 1 'conv2d_1'", ex.Message);
        Assert.Contains("(None, 6, 6, 2)", ex.Message);
        Assert.Equal("filters", ex.ParamName);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void AddDropout_RateOutsideUnitInterval_FailsNamingLayer(double rate)
    {
        var builder = new SequentialBuilder(8, 8, 1).AddFlatten();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddDropout(rate));

        Assert.Contains("Layer 1 'dropout'", ex.Message);
        Assert.Contains("(None, 64)", ex.Message);
    }

    [Fact]
    public void AddConv2D_StridesWithDilation_Fails()
    {
        var builder = new SequentialBuilder(8, 8, 1);

        var ex = Assert.Throws<ArgumentException>(() => builder.AddConv2D(new Conv2DOptions { Filters = 1, KernelSize = 3, Strides = 2, DilationRate = 2 }));

        Assert.Contains("dilation", ex.Message);
    }

    [Fact]
    public void AddPooling_OnFlatInput_FailsNamingLayer()
    {
        var builder = new SequentialBuilder(8, 8, 1).AddFlatten();

        var ex = Assert.Throws<ArgumentException>(() => builder.AddMaxPooling2D());

        Assert.Contains("Layer 1 'max_pooling2d' (MaxPooling2D)", ex.Message);
        Assert.Contains("(None, 64)", ex.Message);
    }

    [Fact]
    public void AddPooling_PoolLargerThanInput_Fails()
    {
        var builder = new SequentialBuilder(3, 3, 1);

        var ex = Assert.Throws<ArgumentException>(() => builder.AddAveragePooling2D(4));

        Assert.Contains("Layer 0 'average_pooling2d'", ex.Message);
        Assert.Contains("(None, 3, 3, 1)", ex.Message);
    }

    [Fact]
    public void Options_InvalidValues_ThrowAtInit()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DOptions { Filters = 0, KernelSize = 3 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DOptions { Filters = 1, KernelSize = default });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DOptions { Filters = 1, KernelSize = 3, Padding = (Padding)7 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPooling2DOptions { PoolSize = (2, 0) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNormalizationOptions { Momentum = 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNormalizationOptions { Epsilon = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DropoutOptions { Rate = 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DenseOptions { Units = -1 });
    }

    [Fact]
    public void Add_AfterBuild_Throws()
    {
        var builder = new SequentialBuilder(4, 4, 1).AddFlatten();
        using var model = builder.Build();

        Assert.Throws<InvalidOperationException>(() => builder.AddDense(1));
        Assert.Throws<InvalidOperationException>(() => builder.Build());
    }
}
