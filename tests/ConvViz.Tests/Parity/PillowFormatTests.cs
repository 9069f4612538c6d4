// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Parity;

/// <summary>
/// BMP and netpbm files of every variant ConvViz decodes itself, against what Pillow 9.4 (Keras' <c>load_img</c>)
/// decodes from the same bytes (<c>eng/make-format-fixtures.py</c>): exact RGB and alpha values.
/// </summary>
public sealed class PillowFormatTests
{
    private static readonly PillowFormatFixture s_fixture = ParityFixtures.Read<PillowFormatFixture>("formats/formats.json");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in s_fixture.Cases)
        {
            data.Add(c.File);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_DefaultFormats_EqualsPillow(string file)
    {
        var expected = s_fixture.Cases.Single(c => c.File == file);
        var path = Path.Combine(AppContext.BaseDirectory, "TestAssets", "Parity", "formats", file);
        var data = SafeImageDecoder.ReadFile(path, ImageDecodingOptions.Default);

        var size = SafeImageDecoder.Validate(data, path, ImageDecodingOptions.Default);
        using var rgba = SafeImageDecoder.Decode<Rgba32>(data, path, ImageDecodingOptions.Default);
        using var rgb = SafeImageDecoder.Decode<Rgb24>(data, path, ImageDecodingOptions.Default);

        Assert.Equal((s_fixture.Width, s_fixture.Height), size);
        Assert.Equal(s_fixture.Width, rgba.Width);
        Assert.Equal(s_fixture.Height, rgba.Height);
        var actualRgb = new List<int>();
        var actualAlpha = new List<int>();
        for (var y = 0; y < rgba.Height; y++)
        {
            for (var x = 0; x < rgba.Width; x++)
            {
                var p = rgba[x, y];
                var q = rgb[x, y];
                Assert.Equal((p.R, p.G, p.B), (q.R, q.G, q.B));
                actualRgb.AddRange([p.R, p.G, p.B]);
                actualAlpha.Add(p.A);
            }
        }

        Assert.Equal(expected.Rgb, actualRgb);
        Assert.Equal(expected.Alpha, actualAlpha);
    }

    [Fact]
    public void Fixture_CoversEveryDecoderVariant()
    {
        var files = s_fixture.Cases.Select(c => c.File).ToArray();

        Assert.Contains("Pillow 9.4", s_fixture.Generator, StringComparison.Ordinal);
        Assert.Equal(32, files.Length);
        Assert.Equal(["1", "L", "P", "RGB", "RGBA"], s_fixture.Cases.Select(c => c.PillowMode).Distinct().Order(StringComparer.Ordinal));
    }
}
