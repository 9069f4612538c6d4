// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using static TorchSharp.torch;

namespace ConvViz.Tests.Data;

public sealed class ImagePreprocessingTests
{
    [Fact]
    public void Standardize_Rescale_MultipliesFirst()
    {
        using var scope = NewDisposeScope();
        var pp = new ImagePreprocessing { TargetHeight = 1, TargetWidth = 2, Rescale = 0.5 };

        var y = pp.Standardize(tensor(new float[] { 2, 4, 6, 8, 10, 12 }).reshape(1, 3, 1, 2));

        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, y.flatten().data<float>().ToArray());
    }

    [Theory]
    [InlineData(1.0 / 255)]
    [InlineData(1.0 / 127.5)]
    [InlineData(0.1)]
    public void Standardize_RescaleOnly_GivesLibtorchsMultiplicationBitForBit(double rescale)
    {
        // The rescale-only path runs in managed code (no libtorch threads on the data workers); it must give exactly
        // what libtorch's float32 tensor-by-scalar multiplication gives, for every pixel value and fractional inputs.
        using var scope = NewDisposeScope();
        var pp = new ImagePreprocessing { TargetHeight = 64, TargetWidth = 64, Rescale = rescale };
        var whole = tensor(Enumerable.Range(0, 2 * 3 * 64 * 64).Select(i => (float)(i % 256)).ToArray()).reshape(2, 3, 64, 64);
        var fractional = rand([2, 3, 64, 64], generator: new Generator().manual_seed(5)).mul(Scalars.ByteMax);
        using var factor = Scalars.Create(rescale);

        foreach (var x in new[] { whole, fractional })
        {
            var expected = x.mul(factor).flatten().data<float>().ToArray();
            var actual = pp.Standardize(x).flatten().data<float>().ToArray();
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Rescale_IntegerDivisionZero_IsRefusedNamingTheFix()
    {
        // R's `rescale = 1/255` typed as C# is integer division: 0. Keras reads 0 as "no rescaling"; ConvViz refuses it.
        const int rOneOver255 = 1 / 255;

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ImagePreprocessing { Rescale = rOneOver255 });

        Assert.Equal("Rescale", ex.ParamName);
        Assert.Contains("1/255 is 0 in C#", ex.Message, StringComparison.Ordinal);
        Assert.Contains("write 1.0 / 255", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no rescaling use null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rescale_Null_LeavesThePixelsAlone()
    {
        using var scope = NewDisposeScope();
        var pp = new ImagePreprocessing { TargetHeight = 1, TargetWidth = 2, Rescale = null };

        var y = pp.Standardize(tensor(new float[] { 2, 4, 6, 8, 10, 12 }).reshape(1, 3, 1, 2));

        Assert.Equal(new float[] { 2, 4, 6, 8, 10, 12 }, y.flatten().data<float>().ToArray());
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Rescale_NotFinite_ThrowsNamingTheOption(double value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ImagePreprocessing { Rescale = value });

        Assert.Equal("Rescale", ex.ParamName);
        Assert.Contains("1.0 / 255", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Standardize_SamplewiseStd_OneScalarPerImageOverAllChannels()
    {
        using var scope = NewDisposeScope();
        var pp = new ImagePreprocessing { TargetHeight = 1, TargetWidth = 2, SamplewiseStdNormalization = true };
        var values = new float[] { 0, 2, 4, 6, 8, 10 };
        var x = tensor(values).reshape(1, 3, 1, 2);

        var y = pp.Standardize(x).flatten().data<float>().ToArray();

        // Keras: (x − mean) / (population std + 1e-6), with mean 5 and std √(35/3) over all six values.
        var std = Math.Sqrt(70.0 / 6);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal((values[i] - 5) / (std + 1e-6), y[i], 1e-5);
        }
    }

    [Fact]
    public void Standardize_SamplewiseCenter_SubtractsImageMean()
    {
        using var scope = NewDisposeScope();
        var pp = new ImagePreprocessing { TargetHeight = 1, TargetWidth = 1, SamplewiseCenter = true };

        var y = pp.Standardize(tensor(new float[] { 1, 2, 6, 10, 10, 10 }).reshape(2, 3, 1, 1));

        Assert.Equal(new float[] { -2, -1, 3, 0, 0, 0 }, y.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Standardize_Featurewise_PerChannel()
    {
        using var scope = NewDisposeScope();
        var pp = new ImagePreprocessing { TargetHeight = 1, TargetWidth = 1 }.With([1f, 2f, 3f], [1f, 2f, 4f]);

        var y = pp.Standardize(tensor(new float[] { 2, 6, 11 }).reshape(1, 3, 1, 1)).flatten().data<float>().ToArray();

        Assert.Equal(1f, y[0], 1e-5f);
        Assert.Equal(2f, y[1], 1e-5f);
        Assert.Equal(2f, y[2], 1e-5f);
    }

    [Fact]
    public void With_KeepsOtherSettingsAndChecksChannels()
    {
        var pp = new ImagePreprocessing { TargetHeight = 7, TargetWidth = 9, ColorMode = ColorMode.Grayscale, Rescale = 0.25, Interpolation = Interpolation.Bicubic };

        var copy = pp.With([0.5f], null);

        Assert.Equal(7, copy.TargetHeight);
        Assert.Equal(9, copy.TargetWidth);
        Assert.Equal(ColorMode.Grayscale, copy.ColorMode);
        Assert.Equal(Interpolation.Bicubic, copy.Interpolation);
        Assert.Equal(0.25, copy.Rescale);
        Assert.Equal([0.5f], copy.FeaturewiseMean!);
        Assert.Null(pp.FeaturewiseMean);
        Assert.Throws<ArgumentException>(() => pp.With([1f, 2f, 3f], null));
    }
}
