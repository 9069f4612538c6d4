// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;

namespace ConvViz.Tests.Augmentation;

/// <summary>Keras' integer and list shift ranges: <c>choice(values) · choice([−1, 1])</c>, scaled when every value is below 1.</summary>
public sealed class ShiftChoicesTests
{
    [Fact]
    public void Draw_IntegerShift2_GivesMinusOneZeroOrOnePixelWithKerasOdds()
    {
        var augmenter = new Augmenter(new AugmentationOptions { WidthShiftChoices = AugmentationOptions.IntegerShift(2) });
        var random = new Random(5);

        var shifts = Enumerable.Range(0, 4000).Select(_ => augmenter.Draw(150, 150, random).ShiftX).ToArray();

        // choice(range(2)) = 0 or 1, then a sign: 0 with probability ½, −1 and +1 with ¼ each.
        Assert.Equal(new[] { -1.0, 0, 1 }, shifts.Distinct().Order().ToArray());
        Assert.InRange(shifts.Count(s => s == 0) / 4000.0, 0.46, 0.54);
        Assert.InRange(shifts.Count(s => s == -1) / 4000.0, 0.21, 0.29);
        Assert.All(Enumerable.Range(0, 50).Select(_ => augmenter.Draw(150, 150, random).ShiftY), y => Assert.Equal(0, y));
    }

    [Fact]
    public void Draw_FractionList_IsScaledByTheImageSize()
    {
        var augmenter = new Augmenter(new AugmentationOptions { WidthShiftChoices = [0.1, 0.2], HeightShiftChoices = [0.5] });
        var random = new Random(9);

        var draws = Enumerable.Range(0, 400).Select(_ => augmenter.Draw(30, 50, random)).ToArray();

        Assert.Equal(new[] { -10.0, -5, 5, 10 }, draws.Select(d => d.ShiftX).Distinct().Order().ToArray(), new ToleranceComparer());
        Assert.Equal(new[] { -15.0, 15 }, draws.Select(d => d.ShiftY).Distinct().Order().ToArray(), new ToleranceComparer());
    }

    [Fact]
    public void Draw_PixelList_IsNotScaled()
    {
        var augmenter = new Augmenter(new AugmentationOptions { HeightShiftChoices = [0.5, 3] });
        var random = new Random(11);

        var shifts = Enumerable.Range(0, 400).Select(_ => augmenter.Draw(40, 40, random).ShiftY).Distinct().Order().ToArray();

        Assert.Equal(new[] { -3.0, -0.5, 0.5, 3 }, shifts);
    }

    [Fact]
    public void IsIdentity_IntegerShift1_NeverShifts()
    {
        Assert.True(new AugmentationOptions { WidthShiftChoices = AugmentationOptions.IntegerShift(1) }.IsIdentity);
        Assert.False(new AugmentationOptions { WidthShiftChoices = AugmentationOptions.IntegerShift(2) }.IsIdentity);
    }

    [Fact]
    public void Constructor_RangeAndChoicesBoth_ThrowsNamingBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Augmenter(new AugmentationOptions { WidthShiftRange = 0.1, WidthShiftChoices = [1] }));

        Assert.Contains("WidthShiftRange and WidthShiftChoices", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void Choices_NegativeOrInfinite_Throw(double bad)
    {
        var ex = Assert.Throws<ArgumentException>(() => new AugmentationOptions { HeightShiftChoices = [1, bad] });

        Assert.Equal("HeightShiftChoices", ex.ParamName);
    }

    private sealed class ToleranceComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-9;

        public int GetHashCode(double obj) => 0;
    }
}
