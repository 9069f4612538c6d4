// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using static TorchSharp.torch;

namespace ConvViz.Tests.Parity;

/// <summary>
/// The augmentation warp against scipy 1.10's <c>ndimage.affine_transform(order=1)</c> driven by Keras' matrix,
/// which is what a current Keras user gets (the data comes from <c>eng/make-parity-fixtures.py</c>).
/// </summary>
public sealed class ScipyAffineTests
{
    private const float Tolerance = 1e-4f; // grey levels: both sample in float64; ConvViz rounds the result to float32 (half an ulp at 256 is 1.5e-5)
    private static readonly ScipyWarpFixture s_fixture = ParityFixtures.Read<ScipyWarpFixture>("scipy-affine-order1.json");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in s_fixture.Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Apply_SmoothImage_MatchesScipy(string name)
    {
        using var scope = NewDisposeScope();
        var expected = s_fixture.Cases.Single(c => c.Name == name);
        var mode = expected.Mode switch
        {
            "reflect" => FillMode.Reflect,
            "nearest" => FillMode.Nearest,
            "constant" => FillMode.Constant,
            "wrap" => FillMode.Wrap,
            _ => throw new InvalidDataException($"unknown mode {expected.Mode}"),
        };
        var augmenter = new Augmenter(new AugmentationOptions { FillMode = mode, FillValue = expected.FillValue });
        var p = expected.Parameters;
        var parameters = new AugmentationParameters { Rotation = p.Rotation, ShiftX = p.ShiftX, ShiftY = p.ShiftY, Shear = p.Shear, ZoomX = p.ZoomX, ZoomY = p.ZoomY };

        var y = augmenter.Apply(SmoothImage(s_fixture.Size), [parameters]).flatten().data<float>().ToArray();

        Assert.Equal(expected.Values.Length, y.Length);
        var worst = Enumerable.Range(0, y.Length).MaxBy(i => Math.Abs(y[i] - expected.Values[i]));
        Assert.True(
            Math.Abs(y[worst] - expected.Values[worst]) <= Tolerance,
            $"{name}: pixel (row {worst / s_fixture.Size}, col {worst % s_fixture.Size}) is {y[worst]}, scipy gives {expected.Values[worst]}");
    }

    /// <summary>The generator's image: 128 + 90 sin(0.21c + 0.5) cos(0.17r − 0.3) + 1.3c − 0.8r, as float32 [1, 1, n, n].</summary>
    private static Tensor SmoothImage(int n)
    {
        var values = new float[n * n];
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < n; c++)
            {
                values[(r * n) + c] = (float)(128 + (90 * Math.Sin((0.21 * c) + 0.5) * Math.Cos((0.17 * r) - 0.3)) + (1.3 * c) - (0.8 * r));
            }
        }

        return tensor(values).reshape(1, 1, n, n);
    }
}
