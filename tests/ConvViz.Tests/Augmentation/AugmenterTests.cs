// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Imaging;
using ConvViz.Tests.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Tests.Augmentation;

public sealed class AugmenterTests
{
    // Row "abcd" = 1, 2, 3, 4 (one channel, one row).
    private static readonly float[] s_row = [1, 2, 3, 4];

    [Theory]
    [InlineData(FillMode.Nearest, 2, new float[] { 3, 4, 4, 4 })]
    [InlineData(FillMode.Constant, 2, new float[] { 3, 4, -9, -9 })]
    [InlineData(FillMode.Reflect, 2, new float[] { 3, 4, 4, 3 })]
    [InlineData(FillMode.Wrap, 2, new float[] { 3, 4, 2, 3 })]
    [InlineData(FillMode.GridWrap, 2, new float[] { 3, 4, 1, 2 })]
    [InlineData(FillMode.Nearest, -2, new float[] { 1, 1, 1, 2 })]
    [InlineData(FillMode.Constant, -2, new float[] { -9, -9, 1, 2 })]
    [InlineData(FillMode.Reflect, -2, new float[] { 2, 1, 1, 2 })]
    [InlineData(FillMode.Wrap, -2, new float[] { 2, 3, 1, 2 })]
    [InlineData(FillMode.GridWrap, -2, new float[] { 3, 4, 1, 2 })]
    [InlineData(FillMode.Reflect, 5, new float[] { 3, 2, 1, 1 })]
    [InlineData(FillMode.Wrap, 4, new float[] { 2, 3, 1, 2 })]
    public void Apply_ShiftX_FillsBordersLikeScipy(FillMode mode, double shift, float[] expected)
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions { FillMode = mode, FillValue = -9 });
        var x = tensor(s_row).reshape(1, 1, 1, 4);

        var y = augmenter.Apply(x, [new AugmentationParameters { ShiftX = shift }]);

        Assert.Equal(expected, y.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Apply_ShiftY_MovesContentUp()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions());
        var x = tensor(s_row).reshape(1, 1, 4, 1);

        var y = augmenter.Apply(x, [new AugmentationParameters { ShiftY = 1 }]);

        Assert.Equal(new float[] { 2, 3, 4, 4 }, y.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Apply_HalfPixelShift_InterpolatesBilinearly()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions());
        var x = tensor(s_row).reshape(1, 1, 1, 4);

        var y = augmenter.Apply(x, [new AugmentationParameters { ShiftX = 0.5 }]);

        AssertClose(new float[] { 1.5f, 2.5f, 3.5f, 4f }, y.flatten().data<float>().ToArray());
    }

    [Theory]
    [InlineData(-0.3, new float[] { 1f, 1.7f, 2.7f, 3.7f })]
    [InlineData(0.6, new float[] { 1.6f, 2.6f, 3.6f, 4f })]
    [InlineData(-1.2, new float[] { 1.2f, 1f, 1.8f, 2.8f })]
    public void Apply_ReflectFractionalBorder_MatchesScipy110(double shift, float[] expected)
    {
        // scipy ≥ 1.6 reflects the interpolation neighbours too: the half pixel beyond an edge takes the edge value
        // (scipy < 1.6 gave 0.7·b + 0.3·a = 1.7 at −0.3). Values from scipy 1.10 affine_transform(order=1, mode="reflect").
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions { FillMode = FillMode.Reflect });
        var x = tensor(s_row).reshape(1, 1, 1, 4);

        var y = augmenter.Apply(x, [new AugmentationParameters { ShiftX = shift }]);

        AssertClose(expected, y.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Apply_Rotation90_IsCounterClockwise()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions { FillMode = FillMode.Constant });
        var x = zeros(1, 1, 5, 5);
        x[0, 0, 0, 2] = tensor(9f); // top centre
        x[0, 0, 0, 1] = tensor(5f); // top, left of centre (asymmetric marker)

        var y = augmenter.Apply(x, [new AugmentationParameters { Rotation = 90 }]);

        // Counter-clockwise: top centre goes to left centre; the marker left of it goes below.
        Assert.Equal(9f, y[0, 0, 2, 0].item<float>(), 1e-4f);
        Assert.Equal(5f, y[0, 0, 3, 0].item<float>(), 1e-4f);
        Assert.Equal(14f, y.sum().item<float>(), 1e-3f);
    }

    [Fact]
    public void Apply_Flips_MirrorTheRightAxis()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions());
        using var elementCount = Scalars.Create(6);
        var x = arange(Scalars.Zero, elementCount, Scalars.One, ScalarType.Float32).reshape(1, 1, 2, 3);

        var horizontal = augmenter.Apply(x, [new AugmentationParameters { FlipHorizontal = true }]);
        var vertical = augmenter.Apply(x, [new AugmentationParameters { FlipVertical = true }]);

        Assert.Equal(new float[] { 2, 1, 0, 5, 4, 3 }, horizontal.flatten().data<float>().ToArray());
        Assert.Equal(new float[] { 3, 4, 5, 0, 1, 2 }, vertical.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Apply_ZoomAboveOne_ZoomsOut()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions { FillMode = FillMode.Constant });
        var x = tensor(new float[] { 1, 2, 3, 4, 5 }).reshape(1, 1, 1, 5);

        var y = augmenter.Apply(x, [new AugmentationParameters { ZoomX = 2 }]);

        AssertClose(new float[] { 0, 1, 3, 5, 0 }, y.flatten().data<float>().ToArray());
    }

    [Fact]
    public void ToInverseMatrix_ShearUsesKerasMatrix()
    {
        var m = new AugmentationParameters { Shear = 30 }.ToInverseMatrix(5, 7);
        var cy = 2.0;
        var cos = Math.Cos(Math.PI / 6);

        AssertClose([1, -0.5, 0.5 * cy, 0, cos, cy - (cos * cy)], m);
    }

    [Fact]
    public void ToInverseMatrix_ComposesRotationThenShift()
    {
        // T = R(90°) · Shift(1, 0): the shift is rotated into the y axis of the source.
        var m = new AugmentationParameters { Rotation = 90, ShiftX = 1 }.ToInverseMatrix(5, 5);

        AssertClose([0, -1, 4, 1, 0, 1], m);
    }

    [Fact]
    public void Apply_ChannelShift_AddsOneOffsetAndClipsToImageRange()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions());
        var x = tensor(new float[] { 10, 100, 50, 200 }).reshape(1, 2, 1, 2);

        var y = augmenter.Apply(x, [new AugmentationParameters { ChannelShift = 60 }]);

        Assert.Equal(new float[] { 70, 160, 110, 200 }, y.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Apply_Brightness_QuantizesLikePillow()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions());
        var x = tensor(new float[] { 0, 101, 255, 100.7f }).reshape(1, 1, 2, 2);

        var darker = augmenter.Apply(x, [new AugmentationParameters { Brightness = 0.5 }]);
        var brighter = augmenter.Apply(x, [new AugmentationParameters { Brightness = 2 }]);

        Assert.Equal(new float[] { 0, 50, 127, 50 }, darker.flatten().data<float>().ToArray());
        Assert.Equal(new float[] { 0, 202, 255, 200 }, brighter.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Apply_Identity_ReturnsEqualCopy()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions());
        var x = rand(2, 3, 4, 5).mul(Scalars.ByteMax);

        var y = augmenter.Apply(x, [AugmentationParameters.Identity, AugmentationParameters.Identity]);

        Assert.True(y.equal(x).all().item<bool>());
        Assert.NotEqual(x.Handle, y.Handle);
    }

    [Fact]
    public void Apply_PerSampleParameters_AffectOnlyTheirImage()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions());
        var x = tensor(s_row).reshape(1, 1, 1, 4).repeat(2, 1, 1, 1);

        var y = augmenter.Apply(x, [AugmentationParameters.Identity, new AugmentationParameters { FlipHorizontal = true }]);

        Assert.Equal(new float[] { 1, 2, 3, 4, 4, 3, 2, 1 }, y.flatten().data<float>().ToArray());
    }

    [Theory]
    [InlineData(FillMode.Constant)]
    [InlineData(FillMode.Nearest)]
    [InlineData(FillMode.Reflect)]
    [InlineData(FillMode.Wrap)]
    [InlineData(FillMode.GridWrap)]
    public void Apply_EveryChannelCount_WarpsEachChannelAlike(FillMode mode)
    {
        // Up to four channels are warped with a pixel's channels in one vector, more channels one value at a time;
        // both must give each channel exactly what warping that channel alone gives. 23 columns: vector groups of
        // four plus a remainder.
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions { RotationRange = 50, WidthShiftRange = 0.4, HeightShiftRange = 0.4, ShearRange = 0.3, ZoomRange = AugmentationRange.Zoom(0.4), HorizontalFlip = true, FillMode = mode, FillValue = 9 });
        using var generator = new Generator(7);
        var images = rand([3, 6, 17, 23], generator: generator).mul(Scalars.ByteMax);
        var parameters = augmenter.Draw(3, 17, 23, seed: 4);

        var six = augmenter.Apply(images, parameters);
        var three = cat([augmenter.Apply(images[.., ..3], parameters), augmenter.Apply(images[.., 3..], parameters)], 1);
        var ones = cat(Enumerable.Range(0, 6).Select(c => augmenter.Apply(images[.., c..(c + 1)], parameters)).ToArray(), 1);

        Assert.True(six.equal(three).all().item<bool>(), $"6 vs 2 × 3 channels: max difference {six.sub(three).abs().max().item<float>()}");
        Assert.True(six.equal(ones).all().item<bool>(), $"6 vs 6 × 1 channel: max difference {six.sub(ones).abs().max().item<float>()}");
        Assert.True(parameters.All(p => p.HasWarp));
    }

    [Fact]
    public void Apply_LeavesNoTensorsBehind()
    {
        var augmenter = new Augmenter(new AugmentationOptions { RotationRange = 20, ChannelShiftRange = 5, BrightnessRange = new AugmentationRange(0.5, 1.5), HorizontalFlip = true, FillMode = FillMode.Reflect });
        using var x = rand(2, 3, 8, 8).mul(Scalars.ByteMax);
        augmenter.Augment(x, seed: 0).Dispose();

        DisposeScopeManager.Statistics.Reset();
        using (var y = augmenter.Augment(x, seed: 1))
        {
            Assert.Equal([2L, 3, 8, 8], y.shape);
        }

        Assert.True(DisposeScopeManager.Statistics.CreatedInScopeCount > 10, "the augmentation ran inside a dispose scope");
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Apply_WrongParameterCount_Throws()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions());

        Assert.Throws<ArgumentException>(() => augmenter.Apply(zeros(2, 1, 2, 2), [AugmentationParameters.Identity]));
    }

    [Fact]
    public void Draw_SameSeed_SameParameters_DifferentSeed_Differs()
    {
        var augmenter = new Augmenter(BlogOptions());

        var a = augmenter.Draw(8, 150, 150, seed: 3);
        var b = augmenter.Draw(8, 150, 150, seed: 3);
        var c = augmenter.Draw(8, 150, 150, seed: 4);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Draw_StaysInKerasRanges()
    {
        var augmenter = new Augmenter(BlogOptions());
        var pixels = new Augmenter(new AugmentationOptions { WidthShiftRange = 3, HeightShiftRange = 2 });
        var random = new Random(1);

        for (var i = 0; i < 500; i++)
        {
            var p = augmenter.Draw(150, 100, random);
            Assert.InRange(p.Rotation, -40, 40);
            Assert.InRange(p.ShiftX, -20, 20);   // 0.2 · width 100
            Assert.InRange(p.ShiftY, -30, 30);   // 0.2 · height 150
            Assert.InRange(p.Shear, -0.2, 0.2);  // degrees
            Assert.InRange(p.ZoomX, 0.8, 1.2);
            Assert.InRange(p.ZoomY, 0.8, 1.2);
            Assert.Null(p.ChannelShift);
            Assert.Null(p.Brightness);
            Assert.False(p.FlipVertical);
            var q = pixels.Draw(150, 100, random);
            Assert.InRange(q.ShiftX, -3, 3);
            Assert.InRange(q.ShiftY, -2, 2);
        }
    }

    [Fact]
    public void Draw_Flips_HappenAboutHalfTheTime()
    {
        var augmenter = new Augmenter(new AugmentationOptions { HorizontalFlip = true });

        var flips = augmenter.Draw(1000, 10, 10, seed: 5).Count(p => p.FlipHorizontal);

        Assert.InRange(flips, 430, 570);
    }

    [Fact]
    public void Draw_ZoomAxesAreIndependent()
    {
        var augmenter = new Augmenter(new AugmentationOptions { ZoomRange = AugmentationRange.Zoom(0.2) });

        var draws = augmenter.Draw(50, 10, 10, seed: 9);

        Assert.Contains(draws, p => Math.Abs(p.ZoomX - p.ZoomY) > 0.05);
    }

    [Fact]
    public void Augment_Seeds_AreDeterministicPerImage()
    {
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(BlogOptions());
        var x = rand(3, 3, 12, 12).mul(Scalars.ByteMax);

        var a = augmenter.Augment(x, new[] { 1, 2, 3 });
        var b = augmenter.Augment(x.narrow(0, 1, 1), new[] { 2 });

        Assert.True(a.narrow(0, 1, 1).allclose(b));
    }

    [Fact]
    public void Fit_ComputesRescaledPerChannelMeanAndStd()
    {
        using var scope = NewDisposeScope();
        using var channel0 = Scalars.Create(10f);
        using var channel1 = Scalars.Create(30f);
        using var channel2 = Scalars.Create(100f);
        using var secondImageChannel0 = Scalars.Create(20f);
        var x = stack([full(1, 2, 2, channel0), full(1, 2, 2, channel1), full(1, 2, 2, channel2)], 1).repeat(2, 1, 1, 1);
        x[1, 0] = full(2, 2, secondImageChannel0);
        var pp = new ImagePreprocessing { TargetHeight = 2, TargetWidth = 2, Rescale = 0.1 };

        var fitted = Augmenter.Fit(pp, x, center: true, stdNormalization: true);

        AssertClose([1.5f, 3f, 10f], fitted.FeaturewiseMean!.ToArray());
        AssertClose([0.5f, 0f, 0f], fitted.FeaturewiseStd!.ToArray());
        Assert.Equal(0.1, fitted.Rescale);
        Assert.Null(pp.FeaturewiseMean);
    }

    [Fact]
    public void Fit_StdImpliesCenter()
    {
        using var scope = NewDisposeScope();
        var pp = new ImagePreprocessing { TargetHeight = 2, TargetWidth = 2 };

        var fitted = Augmenter.Fit(pp, rand(4, 3, 2, 2), center: false, stdNormalization: true);

        Assert.NotNull(fitted.FeaturewiseMean);
        Assert.NotNull(fitted.FeaturewiseStd);
    }

    [Fact]
    public void SavePreview_WritesPngsAndNeverOverwrites()
    {
        using var temp = new TempDirectory();
        using var scope = NewDisposeScope();
        var augmenter = new Augmenter(new AugmentationOptions { HorizontalFlip = true });
        using var elementCount = Scalars.Create(2 * 3 * 4 * 4);
        var x = arange(Scalars.Zero, elementCount, Scalars.One, ScalarType.Float32).reshape(2, 3, 4, 4);

        var files = augmenter.SavePreview(x, temp.Path, seed: 1, prefix: "cat");

        Assert.Equal(2, files.Count);
        using (var image = Image.Load<Rgb24>(files[0]))
        {
            Assert.Equal(4, image.Width);
            Assert.Equal(Path.Combine(temp.Path, "cat_0_1.png"), files[0]);
        }

        Assert.Throws<IOException>(() => augmenter.SavePreview(x, temp.Path, seed: 1, prefix: "cat"));
    }

    [Fact]
    public void Options_InvalidValues_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AugmentationOptions { RotationRange = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new AugmentationOptions { ZoomRange = new AugmentationRange(0, 1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new AugmentationRange(2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AugmentationRange.Zoom(1));
    }

    /// <summary>The blog's generator.</summary>
    private static AugmentationOptions BlogOptions() => new()
    {
        RotationRange = 40,
        WidthShiftRange = 0.2,
        HeightShiftRange = 0.2,
        ShearRange = 0.2,
        ZoomRange = AugmentationRange.Zoom(0.2),
        HorizontalFlip = true,
    };

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4, $"index {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-9, $"index {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
