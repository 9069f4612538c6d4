// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// Convolutions give the float64 reference's values (and input gradients) on every CPU: the configurations that oneDNN
/// computed wrongly on an AMD Zen 5 virtual machine (grouped convolutions with a depth multiplier, strided 1×1
/// convolutions with 256+ channels, input gradients of convolutions with few filters, which were wrong or NaN in some
/// repetitions) are checked here against libtorch's float64 convolution. On a CPU where oneDNN is right they pass
/// natively; where it is not, they pass only through <see cref="ConvolutionGuard"/>'s routes.
/// </summary>
public sealed class ConvolutionGuardTests
{
    /// <summary>Input shape [N, C, H, W], filters, kernel, stride, padding, dilation, groups.</summary>
    public static TheoryData<long[], long, long, long, long, long, long> Configurations => new()
    {
        { [1, 2, 3, 3], 4, 3, 1, 0, 1, 2 },        // depth multiplier 2 (was off by 4e-2)
        { [2, 4, 8, 8], 8, 3, 1, 0, 1, 4 },        // depth multiplier 2, batch 2 (5.8e-2)
        { [2, 3, 13, 11], 6, 3, 2, 0, 1, 3 },      // depth multiplier 2, strided (1.2e-1)
        { [2, 8, 4, 4], 16, 2, 1, 0, 1, 8 },       // depth multiplier 2, 2×2 kernel (3.6e-1)
        { [2, 2, 6, 6], 6, 3, 1, 0, 2, 2 },        // depth multiplier 3, dilated (1.4e-1)
        { [1, 256, 14, 14], 512, 1, 2, 0, 1, 1 },  // ResNet18's stage-4 shortcut (3.9e-1)
        { [1, 512, 14, 14], 512, 1, 2, 0, 1, 1 },  // (4.7e-1)
        { [1, 128, 14, 14], 512, 1, 2, 0, 1, 1 },  // (3.7e-1)
        { [2, 32, 16, 16], 32, 3, 1, 1, 1, 32 },   // depthwise (right before, stays right)
        { [3, 16, 9, 9], 24, 3, 2, 1, 1, 1 },      // plain
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Convolutions_equal_the_float64_reference_in_both_layouts(long[] shape, long filters, long kernel, long stride, long padding, long dilation, long groups)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator().manual_seed(5);
        var x = rand(shape, generator: generator).sub(Scalars.Half);
        var w = rand([filters, shape[1] / groups, kernel, kernel], generator: generator).sub(Scalars.Half);
        var b = rand([filters], generator: generator);
        long[] strides = [stride, stride], pads = [padding, padding], dilations = [dilation, dilation];
        var reference = nn.functional.conv2d(x.to_type(ScalarType.Float64), w.to_type(ScalarType.Float64), b.to_type(ScalarType.Float64), strides, pads, dilations, groups);
        var scale = reference.abs().max().item<double>();
        foreach (var channelsLast in new[] { true, false })
        {
            var input = TensorLayout.Convert(x, channelsLast);
            var kernelIn = TensorLayout.Convert(w, channelsLast);

            // The first call checks the configuration; the later ones run the remembered route.
            for (var call = 0; call < 3; call++)
            {
                var y = ConvolutionGuard.Conv2d(input, kernelIn, b, strides, pads, dilations, groups);
                var error = y.to_type(ScalarType.Float64).sub(reference).abs().max().item<double>() / scale;
                Assert.True(error < 1e-5, $"{(channelsLast ? "channels-last" : "channels-first")} call {call}: relative error {error:E2}");
                if (TensorLayout.IsChannelsLast(input) && y.shape[2] * y.shape[3] > 1)
                {
                    Assert.True(TensorLayout.IsChannelsLast(y), "the result keeps the input's channels-last layout");
                }
            }
        }
    }

    [Theory]
    [InlineData(16, 1, 16, 1, 0)]
    [InlineData(4, 1, 28, 8, 1)]
    [InlineData(4, 3, 32, 8, 1)]
    [InlineData(2, 3, 12, 6, 0)]
    [InlineData(8, 12, 20, 8, 1)]
    public void Input_gradients_of_few_filter_convolutions_equal_the_float64_reference_every_time(long batch, long channels, long size, long filters, long padding)
    {
        // These were wrong (up to 3e-1, or NaN) in one to two of four repetitions on the Zen 5 machine.
        var generator = new Generator().manual_seed(9);
        for (var repetition = 0; repetition < 8; repetition++)
        {
            using var scope = NewDisposeScope();
            var x = rand([batch, channels, size, size], generator: generator);
            var w = rand([filters, channels, 3, 3], generator: generator).sub(Scalars.Half);
            var b = rand([filters], generator: generator);
            var outputSize = size + (2 * padding) - 2;
            var upstream = rand([batch, filters, outputSize, outputSize], generator: generator).sub(Scalars.Half);
            long[] ones = [1, 1], pads = [padding, padding];
            foreach (var channelsLast in new[] { true, false })
            {
                var reference = Gradient(x.to_type(ScalarType.Float64), w.to_type(ScalarType.Float64), b.to_type(ScalarType.Float64), upstream.to_type(ScalarType.Float64), direct: true);
                var actual = Gradient(TensorLayout.Convert(x, channelsLast), TensorLayout.Convert(w, channelsLast), b, TensorLayout.Convert(upstream, channelsLast), direct: false);
                var error = actual.to_type(ScalarType.Float64).sub(reference).abs().max().item<double>() / reference.abs().max().item<double>();
                Assert.True(error < 1e-5, $"repetition {repetition}, {(channelsLast ? "channels-last" : "channels-first")}: relative error {error:E2}");
            }

            Tensor Gradient(Tensor input, Tensor kernel, Tensor bias, Tensor gradOutput, bool direct)
            {
                var leaf = input.detach().requires_grad_(true);
                var y = direct ? nn.functional.conv2d(leaf, kernel, bias, ones, pads, ones) : ConvolutionGuard.Conv2d(leaf, kernel, bias, ones, pads, ones, 1);
                y.backward([gradOutput]);
                return leaf.grad!.detach().clone();
            }
        }
    }

    [Fact]
    public void Values_do_not_depend_on_whether_the_input_needs_a_gradient()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator().manual_seed(3);
        var x = TensorLayout.Convert(rand([4, 3, 20, 20], generator: generator), true);
        var w = TensorLayout.Convert(rand([8, 3, 3, 3], generator: generator).sub(Scalars.Half), true);
        var b = rand([8], generator: generator);
        long[] ones = [1, 1], pads = [1, 1];
        Tensor plain;
        using (no_grad())
        {
            plain = ConvolutionGuard.Conv2d(x, w, b, ones, pads, ones, 1);
        }

        var withGradient = ConvolutionGuard.Conv2d(x.detach().requires_grad_(true), w, b, ones, pads, ones, 1);
        Assert.True(withGradient.requires_grad);
        Assert.Equal(plain.contiguous().data<float>().ToArray(), withGradient.detach().contiguous().data<float>().ToArray());
    }

    [Theory]
    [InlineData("ChannelsFirst")]
    [InlineData("Float64")]
    public void Each_route_computes_the_convolution_and_keeps_the_layout_and_gradients(string routeName)
    {
        var route = Enum.Parse<ConvolutionGuard.Route>(routeName);
        using var scope = NewDisposeScope();
        var generator = new Generator().manual_seed(4);
        var x = TensorLayout.Convert(rand([2, 16, 10, 10], generator: generator), true).requires_grad_(true);
        var w = TensorLayout.Convert(rand([32, 16, 3, 3], generator: generator).sub(Scalars.Half), true);
        var b = rand([32], generator: generator);
        long[] strides = [2, 2], pads = [1, 1], ones = [1, 1];
        var reference = nn.functional.conv2d(x.detach().to_type(ScalarType.Float64), w.to_type(ScalarType.Float64), b.to_type(ScalarType.Float64), strides, pads, ones);
        var y = ConvolutionGuard.Run(route, x, w, b, strides, pads, ones, 1);
        Assert.True(TensorLayout.IsChannelsLast(y));
        Assert.Equal(ScalarType.Float32, y.dtype);
        Assert.True(y.to_type(ScalarType.Float64).sub(reference).abs().max().item<double>() < 1e-5 * reference.abs().max().item<double>());
        y.sum().backward();
        Assert.NotNull(x.grad);
        Assert.False(x.grad!.isnan().any().item<bool>());
    }

    [Fact]
    public void Libtorchs_own_convolution_is_reachable_on_linux_x64()
    {
        // Where it is, input gradients of few-filter convolutions cost a float32 convolution, not a float64 one.
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            return;
        }

        using var scope = NewDisposeScope();
        var x = rand([1, 2, 5, 5]);
        var y = OneDnnConvolution.ConvolveWithoutOneDnn(x, rand([3, 2, 3, 3]), zeros(3), [1, 1], [1, 1], [1, 1]);
        Assert.NotNull(y);
        Assert.Equal([1L, 3, 5, 5], y!.shape);
    }
}
