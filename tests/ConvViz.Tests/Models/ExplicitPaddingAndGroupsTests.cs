// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// Explicit asymmetric padding (ONNX <c>pads</c>) for the convolutions and poolings, and grouped Conv2D, against values
/// computed by hand. The image is 3 × 3 with the values 1…9 row by row.
/// </summary>
public sealed class ExplicitPaddingAndGroupsTests
{
    /// <summary>
    /// A 2 × 2 kernel of ones over the image padded with one zero row above and one zero column on the right:
    /// rows (0 0 0 0), (1 2 3 0), (4 5 6 0), (7 8 9 0).
    /// </summary>
    private static readonly float[] s_onesKernelTopRight = [3, 5, 3, 12, 16, 9, 24, 28, 15];

    [Fact]
    public void Conv2D_ExplicitPadding_PadsWithZerosOnTheGivenSides()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(3, 3, 1)
            .AddConv2D(new Conv2DOptions { Filters = 1, KernelSize = 2, UseBias = false, ExplicitPadding = new Padding2D(1, 0, 0, 1) })
            .Build();
        model.SetWeight(0, "kernel", OnesKernel(1, 1));

        Assert.Equal("(None, 3, 3, 1)", model.OutputShape.ToString());
        Assert.Equal(s_onesKernelTopRight, Values(model.Forward(Image())));
    }

    [Fact]
    public void Conv2D_ExplicitPaddingWithStrides_FollowsOnnxOutputSize()
    {
        using var scope = NewDisposeScope();

        // Padded 3 × 3 → 5 × 4 (top 2, left 1), kernel 2, strides 2: output ⌊(5 − 2) / 2⌋ + 1 = 2 by ⌊(4 − 2) / 2⌋ + 1 = 2.
        // Padded rows: (0 0 0 0), (0 0 0 0), (0 1 2 3), (0 4 5 6), (0 7 8 9); windows at rows 0–1 and 2–3, columns 0–1 and 2–3.
        using var model = new SequentialBuilder(3, 3, 1)
            .AddConv2D(new Conv2DOptions { Filters = 1, KernelSize = 2, Strides = 2, ExplicitPadding = new Padding2D(2, 0, 1, 0) })
            .Build();
        model.SetWeight(0, "kernel", OnesKernel(1, 1));
        model.SetWeight(0, "bias", tensor(new[] { 0.5f }));

        Assert.Equal("(None, 2, 2, 1)", model.OutputShape.ToString());
        Assert.Equal([0.5f, 0.5f, 5.5f, 16.5f], Values(model.Forward(Image())));
    }

    [Fact]
    public void DepthwiseConv2D_ExplicitPadding_PadsWithZerosOnTheGivenSides()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(3, 3, 1)
            .AddDepthwiseConv2D(new DepthwiseConv2DOptions { KernelSize = 2, DepthMultiplier = 2, UseBias = false, ExplicitPadding = new Padding2D(1, 0, 0, 1) })
            .Build();
        model.SetWeight(0, "depthwise_kernel", OnesKernel(2, 1));

        Assert.Equal("(None, 3, 3, 2)", model.OutputShape.ToString());
        Assert.Equal([.. s_onesKernelTopRight, .. s_onesKernelTopRight], Values(model.Forward(Image())));
    }

    [Fact]
    public void MaxPooling_ExplicitPadding_PaddedCellsNeverWin()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(2, 2, 1)
            .AddMaxPooling2D(new MaxPooling2DOptions { PoolSize = 2, Strides = 1, ExplicitPadding = new Padding2D(1, 0, 1, 0) })
            .Build();

        // All values negative: a zero pad would win every window. Windows: {−4}, {−4, −3}, {−4, −2}, all four.
        var output = Values(model.Forward(tensor(new[] { -4f, -3f, -2f, -1f }).reshape(1, 1, 2, 2)));

        Assert.Equal("(None, 2, 2, 1)", model.OutputShape.ToString());
        Assert.Equal([-4f, -3f, -2f, -1f], output);
    }

    /// <summary>
    /// Max pooling pools without a padded copy where libtorch's own padding gives the same windows; every combination of
    /// sizes, pools, strides and paddings must still give exactly the values and input gradients of the definition (pad
    /// with −∞, then pool), in both memory layouts.
    /// </summary>
    [Fact]
    public void MaxPooling_ExplicitPadding_EqualsPaddingWithMinusInfinityThenPooling()
    {
        var (checkedCases, withoutCopy) = (0, 0);
        foreach (var (size, pool, stride) in from size in new[] { 4, 5, 6, 7, 8, 9 } from pool in new[] { 2, 3 } from stride in new[] { 1, 2, 3 } select (size, pool, stride))
        {
            for (var begin = 0; begin < pool; begin++)
            {
                for (var end = 0; end < pool; end++)
                {
                    using var scope = NewDisposeScope();
                    var padding = new WindowPadding(begin, end, end, begin);
                    var module = new MaxPool2DModule("pool", new Size2D(pool, pool), new Size2D(stride, stride), padding);
                    withoutCopy += module.ImplicitPadding(size, size + 1) is null ? 0 : 1;

                    // Negative values with ties, so that a zero pad would win and the first maximum matters.
                    using var generator = new Generator().manual_seed((size * 100) + (pool * 10) + stride);
                    var values = randint(-4, 0, [2, 3, size, size + 1], generator: generator).to_type(ScalarType.Float32);
                    foreach (var channelsLast in new[] { false, true })
                    {
                        var x = (channelsLast ? values.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : values.clone()).requires_grad_();
                        var y = module.forward(x);
                        var r = values.clone().requires_grad_();
                        var expected = nn.functional.max_pool2d(nn.functional.pad(r, padding.ToPadArgument(), value: double.NegativeInfinity), [pool, pool], [stride, stride]);
                        var label = $"size {size}×{size + 1}, pool {pool}, stride {stride}, padding {padding}, channels-last {channelsLast}";
                        Assert.True(expected.shape.SequenceEqual(y.shape), label);
                        Assert.True(y.eq(expected).all().item<bool>(), label);

                        var upstream = randn(y.shape, generator: generator);
                        y.mul(upstream).sum().backward();
                        expected.mul(upstream).sum().backward();
                        Assert.True(x.grad!.eq(r.grad!).all().item<bool>(), $"gradient: {label}");
                        checkedCases++;
                    }
                }
            }
        }

        // 6 sizes, 3 strides, 4 + 9 paddings for the two pools, 2 layouts.
        Assert.Equal(6 * 3 * 13 * 2, checkedCases);
        Assert.True(withoutCopy > 0, "every padding took the copy");

        // Keras 'same' pooling with stride 2 on an even size (ResNet's stem pooling) pads one row and one column at the
        // end: libtorch's ceil mode gives those windows.
        var same = new MaxPool2DModule("pool", new Size2D(3, 3), new Size2D(2, 2), new WindowPadding(0, 1, 0, 1)).ImplicitPadding(112, 112);
        Assert.NotNull(same);
        Assert.Equal([0L, 0L], same.Value.Padding);
        Assert.True(same.Value.CeilMode);
    }

    [Fact]
    public void AveragePooling_ExplicitPadding_DividesByTheRealCells()
    {
        using var scope = NewDisposeScope();
        using var corner = new SequentialBuilder(2, 2, 1)
            .AddAveragePooling2D(new AveragePooling2DOptions { PoolSize = 2, Strides = 1, ExplicitPadding = new Padding2D(1, 0, 1, 0) })
            .Build();
        using var strided = new SequentialBuilder(3, 3, 1)
            .AddAveragePooling2D(new AveragePooling2DOptions { PoolSize = 2, ExplicitPadding = new Padding2D(0, 1, 0, 1) })
            .Build();
        using var strides = new SequentialBuilder(3, 3, 1)
            .AddMaxPooling2D(new MaxPooling2DOptions { PoolSize = 2, ExplicitPadding = new Padding2D(0, 1, 0, 1) })
            .Build();

        // [[1, 2], [3, 4]]: 1 / 1, (1 + 2) / 2, (1 + 3) / 2, 10 / 4 (counting the pad would give 0.25, 0.75, 1, 2.5).
        Assert.Equal([1f, 1.5f, 2f, 2.5f], Values(corner.Forward(tensor(new[] { 1f, 2f, 3f, 4f }).reshape(1, 1, 2, 2))));

        // 1…9, pool 2, strides 2, one row below and one column right: (1 + 2 + 4 + 5) / 4, (3 + 6) / 2, (7 + 8) / 2, 9 / 1.
        Assert.Equal("(None, 2, 2, 1)", strided.OutputShape.ToString());
        Assert.Equal([3f, 4.5f, 7.5f, 9f], Values(strided.Forward(Image())));
        Assert.Equal([5f, 6f, 8f, 9f], Values(strides.Forward(Image())));
    }

    [Fact]
    public void ExplicitPadding_WithPaddingSame_IsRefusedNamingTheLayerAndTheFix()
    {
        var padding = new Padding2D(1, 0, 0, 1);
        LayerOptions[] layers =
        [
            new Conv2DOptions { Filters = 1, KernelSize = 2, Padding = Padding.Same, ExplicitPadding = padding },
            new DepthwiseConv2DOptions { KernelSize = 2, Padding = Padding.Same, ExplicitPadding = padding },
            new SeparableConv2DOptions { Filters = 1, KernelSize = 2, Padding = Padding.Same, ExplicitPadding = padding },
            new MaxPooling2DOptions { Padding = Padding.Same, ExplicitPadding = padding },
            new AveragePooling2DOptions { Padding = Padding.Same, ExplicitPadding = padding },
        ];

        foreach (var layer in layers)
        {
            var ex = Assert.Throws<ArgumentException>(() => new SequentialBuilder(4, 4, 1).Add(layer));
            Assert.Contains($"'{layer.NamePrefix}' ({layer.TypeName})", ex.Message, StringComparison.Ordinal);
            Assert.Contains("ExplicitPadding (top 1, bottom 0, left 0, right 1)", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Padding.Same", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Leave Padding at Valid", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BadPadding_IsRefused()
    {
        Assert.Equal("left", Assert.Throws<ArgumentOutOfRangeException>(() => new Padding2D(0, 0, -1, 0)).ParamName);
        var poolTooSmall = Assert.Throws<ArgumentException>(
            () => new SequentialBuilder(4, 4, 1).AddMaxPooling2D(new MaxPooling2DOptions { PoolSize = 2, ExplicitPadding = new Padding2D(0, 2, 0, 0) }));
        Assert.Contains("'max_pooling2d'", poolTooSmall.Message, StringComparison.Ordinal);
        Assert.Contains("smaller than the 2×2 pool", poolTooSmall.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conv2D_Groups_EachGroupOfFiltersSeesItsGroupOfChannels()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(1, 1, 4).AddConv2D(new Conv2DOptions { Filters = 2, KernelSize = 1, Groups = 2 }).Build();
        model.SetWeight(0, "kernel", tensor(new[] { 1f, 10f, 100f, 1000f }).reshape(2, 2, 1, 1));
        model.SetWeight(0, "bias", tensor(new[] { 0f, 0.5f }));

        // Channels (1, 2, 3, 4): filter 0 sees channels 0 and 1 (1 + 20), filter 1 channels 2 and 3 (300 + 4000 + 0.5).
        var output = Values(model.Forward(tensor(new[] { 1f, 2f, 3f, 4f }).reshape(1, 4, 1, 1)));

        Assert.Equal((2 * 2) + 2, model.ParameterCount); // Keras: kernel (1, 1, 2, 2) + bias 2
        Assert.Equal([21f, 4300.5f], output);
    }

    [Fact]
    public void Conv2D_Groups_MustDivideChannelsAndFilters()
    {
        var channels = Assert.Throws<ArgumentException>(() => new SequentialBuilder(4, 4, 3).AddConv2D(new Conv2DOptions { Filters = 4, KernelSize = 1, Groups = 2 }));
        var filters = Assert.Throws<ArgumentException>(() => new SequentialBuilder(4, 4, 4).AddConv2D(new Conv2DOptions { Filters = 3, KernelSize = 1, Groups = 2 }));

        Assert.Contains("'conv2d' (Conv2D)", channels.Message, StringComparison.Ordinal);
        Assert.Contains("Groups = 2 must divide both the input channels (3) and Filters (4)", channels.Message, StringComparison.Ordinal);
        Assert.Contains("input channels (4) and Filters (3)", filters.Message, StringComparison.Ordinal);
        Assert.Equal("Groups", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DOptions { Filters = 1, KernelSize = 1, Groups = 0 }).ParamName);
    }

    [Fact]
    public void NewOptions_SavedAndLoaded_GiveTheSameOptionsAndOutputs()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(9, 8, 4).WithSeed(6)
            .AddConv2D(new Conv2DOptions { Filters = 6, KernelSize = 3, Groups = 2, ExplicitPadding = new Padding2D(2, 0, 1, 3), Activation = Activation.ReLU })
            .AddDepthwiseConv2D(new DepthwiseConv2DOptions { KernelSize = 2, ExplicitPadding = new Padding2D(0, 1, 1, 0) })
            .AddMaxPooling2D(new MaxPooling2DOptions { PoolSize = 3, Strides = 2, ExplicitPadding = new Padding2D(1, 1, 0, 2) })
            .AddAveragePooling2D(new AveragePooling2DOptions { PoolSize = 2, Strides = 1, ExplicitPadding = new Padding2D(0, 1, 1, 0) })
            .AddConv2D(new Conv2DOptions { Filters = 2, KernelSize = 1, Groups = 2 })
            .Build();
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;

        using var loaded = Model.Load(stream);
        var input = randn([2, 4, 9, 8], generator: new Generator(3));

        Assert.Equal(model.Layers.Select(l => l.Options), loaded.Layers.Select(l => l.Options));
        Assert.Equal(new Padding2D(2, 0, 1, 3), ((Conv2DOptions)loaded.Layers[0].Options).ExplicitPadding);
        Assert.Equal(2, ((Conv2DOptions)loaded.Layers[0].Options).Groups);
        Assert.True(model.Forward(input).equal(loaded.Forward(input)).all().item<bool>());
    }

    private static Tensor Image() => tensor(new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f }).reshape(1, 1, 3, 3);

    private static Tensor OnesKernel(int filters, int inChannels)
    {
        var values = new float[filters * inChannels * 4];
        Array.Fill(values, 1f);
        return tensor(values).reshape(filters, inChannels, 2, 2);
    }

    private static float[] Values(Tensor t) => t.contiguous().flatten().data<float>().ToArray();
}
