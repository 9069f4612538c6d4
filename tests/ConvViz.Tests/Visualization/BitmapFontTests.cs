// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Visualization;

public sealed class BitmapFontTests
{
    private static readonly Rgb24 s_white = new(255, 255, 255);
    private static readonly Rgb24 s_black = new(0, 0, 0);

    [Fact]
    public void Draw_Zero_AtScale1_SetsExactlyTheGlyphPixels()
    {
        // The slashed zero, as drawn in BitmapFont: '#' is ink.
        string[] expected = [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."];
        var pixels = Blank(7, 9);

        TextRenderer.Draw(pixels.AsSpan(), 7, "0", 1, 1, 1, s_black);

        for (var y = 0; y < 9; y++)
        {
            for (var x = 0; x < 7; x++)
            {
                var ink = y is >= 1 and <= 7 && x is >= 1 and <= 5 && expected[y - 1][x - 1] == '#';
                Assert.True(pixels[(y * 7) + x] == (ink ? s_black : s_white), $"pixel ({x}, {y})");
            }
        }
    }

    [Fact]
    public void Draw_Scale3_TurnsEveryFontPixelIntoA3x3Block()
    {
        var one = Blank(5, 9);
        var three = Blank(15, 27);

        TextRenderer.Draw(one.AsSpan(), 5, "g", 0, 0, 1, s_black);
        TextRenderer.Draw(three.AsSpan(), 15, "g", 0, 0, 3, s_black);

        for (var y = 0; y < 27; y++)
        {
            for (var x = 0; x < 15; x++)
            {
                Assert.Equal(one[((y / 3) * 5) + (x / 3)], three[(y * 15) + x]);
            }
        }

        Assert.Contains(s_black, one.AsSpan(7 * 5, 2 * 5).ToArray()); // the descender reaches below the baseline
    }

    [Fact]
    public void MeasureWidth_IsSixPixelsPerCharacterWithoutTheTrailingGap()
    {
        Assert.Equal(0, TextRenderer.MeasureWidth(string.Empty, 2));
        Assert.Equal(5, TextRenderer.MeasureWidth("7", 1));
        Assert.Equal(17, TextRenderer.MeasureWidth("abc", 1));
        Assert.Equal(34, TextRenderer.MeasureWidth("abc", 2));
    }

    [Fact]
    public void Font_CoversPrintableAsciiAndTheTitleSymbols_WithDistinctGlyphs()
    {
        var wanted = Enumerable.Range(32, 95).Select(c => (char)c).Concat(['\u00D7', '\u00B7']).ToArray();
        Assert.All(wanted, c => Assert.True(BitmapFont.Contains(c), $"'{c}' has no glyph"));

        // No two glyphs are the same picture (a copy-paste slip would make two characters unreadable apart);
        // the en dash and the minus sign are deliberately the same long dash.
        var pictures = wanted.Where(c => c != ' ').GroupBy(c => Convert.ToHexString(BitmapFont.Glyph(c))).Where(g => g.Count() > 1);
        Assert.Empty(pictures.Select(g => string.Concat(g)));
        Assert.True(BitmapFont.Glyph(' ').ToArray().All(b => b == 0));
    }

    [Fact]
    public void Draw_UnknownCharacter_IsAHollowBoxNotNothing()
    {
        var pixels = Blank(5, 9);

        TextRenderer.Draw(pixels.AsSpan(), 5, "\u20AC", 0, 0, 1, s_black);

        Assert.Equal(s_black, pixels[0]);
        Assert.Equal(s_white, pixels[(3 * 5) + 2]);
        Assert.Equal(s_black, pixels[(6 * 5) + 4]);
    }

    [Fact]
    public void Draw_OnAnRgbaImage_ClipsAtTheEdgesWithoutThrowing()
    {
        using var image = new Image<Rgba32>(8, 4, new Rgba32(0, 0, 0, 0));
        var red = new Rgba32(255, 0, 0, 255);

        TextRenderer.Draw(image, "HI", -2, -3, 1, red);

        // 'H' is drawn from x = -2 and y = -3: its right column (x = 2) is ink on every row still inside the image;
        // 'I' starts at x = 4, and its bottom bar covers x = 5..7 on the last visible row (glyph row 6).
        Assert.Equal(red, image[2, 0]);
        Assert.Equal(red, image[2, 3]);
        Assert.Equal(new Rgba32(0, 0, 0, 0), image[4, 3]);
        Assert.Equal(red, image[5, 3]);
    }

    [Fact]
    public void FontSheet_MatchesGolden()
    {
        // Every glyph, 16 per line, at scale 2: the golden picture is the font's reference sheet.
        var characters = BitmapFont.Characters.Order().ToArray();
        var lines = characters.Chunk(16).Select(chunk => new string(chunk)).ToArray();
        var width = TextRenderer.MeasureWidth(new string('x', 16), 2) + 8;
        var height = (lines.Length * (TextRenderer.LineHeight(2) + 4)) + 4;
        var pixels = Blank(width, height);
        for (var i = 0; i < lines.Length; i++)
        {
            TextRenderer.Draw(pixels.AsSpan(), width, lines[i], 4, 4 + (i * (TextRenderer.LineHeight(2) + 4)), 2, s_black);
        }

        using var image = Image.LoadPixelData<Rgb24>(pixels, width, height);
        GoldenImage.AssertMatches(image, nameof(BitmapFontTests));
    }

    private static Rgb24[] Blank(int width, int height)
    {
        var pixels = new Rgb24[width * height];
        Array.Fill(pixels, s_white);
        return pixels;
    }
}
