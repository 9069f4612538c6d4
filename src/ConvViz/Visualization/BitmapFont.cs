// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>
/// The library's own bitmap font, so labels never depend on fonts installed on the machine: 5 pixels wide, 7 pixels
/// above the baseline (capitals and digits) and 2 below (descenders of g, j, p, q, y and the comma), for printable
/// ASCII (32–126) plus '×' (U+00D7), '·' (U+00B7), the en dash '–' and the minus sign '−'. Any other character is drawn
/// as a hollow box. Glyphs are drawn for ConvViz; each is listed as rows of '#' (ink) and '.' (background).
/// </summary>
internal static class BitmapFont
{
    /// <summary>The width of a glyph in pixels at scale 1.</summary>
    public const int GlyphWidth = 5;

    /// <summary>The rows above the baseline (the height of capitals and digits) at scale 1.</summary>
    public const int Ascent = 7;

    /// <summary>The rows below the baseline at scale 1.</summary>
    public const int Descent = 2;

    /// <summary>The total glyph height (ascent + descent) at scale 1.</summary>
    public const int GlyphHeight = Ascent + Descent;

    /// <summary>The horizontal distance from one glyph to the next at scale 1 (one blank column between glyphs).</summary>
    public const int Advance = GlyphWidth + 1;

    private static readonly Dictionary<char, byte[]> s_glyphs = Build();

    private static readonly byte[] s_missing = Parse("##### #...# #...# #...# #...# #...# #####");

    /// <summary>Gets the rows of a glyph (top first, <see cref="GlyphHeight"/> of them); bit 4 is the leftmost column.</summary>
    /// <param name="c">The character.</param>
    /// <returns>The glyph rows; a hollow box for a character the font does not have.</returns>
    public static ReadOnlySpan<byte> Glyph(char c) => s_glyphs.TryGetValue(c, out var rows) ? rows : s_missing;

    /// <summary>Gets a value indicating whether the font has a glyph for a character.</summary>
    /// <param name="c">The character.</param>
    /// <returns><see langword="true"/> if the character has its own glyph.</returns>
    public static bool Contains(char c) => s_glyphs.ContainsKey(c);

    /// <summary>Gets every character with its own glyph.</summary>
    public static IEnumerable<char> Characters => s_glyphs.Keys;

    private static Dictionary<char, byte[]> Build()
    {
        // Rows top to bottom, separated by spaces; 7 rows (nothing below the baseline) or 9 rows (with descenders).
        var table = new Dictionary<char, string>
        {
            [' '] = "..... ..... ..... ..... ..... ..... .....",
            ['!'] = "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
            ['"'] = ".#.#. .#.#. .#.#. ..... ..... ..... .....",
            ['#'] = ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
            ['$'] = "..#.. .#### #.#.. .###. ..#.# ####. ..#..",
            ['%'] = "##... ##..# ...#. ..#.. .#... #..## ...##",
            ['&'] = ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
            ['\''] = "..#.. ..#.. .#... ..... ..... ..... .....",
            ['('] = "...#. ..#.. .#... .#... .#... ..#.. ...#.",
            [')'] = ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
            ['*'] = "..... ..#.. #.#.# .###. #.#.# ..#.. .....",
            ['+'] = "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
            [','] = "..... ..... ..... ..... ..... .##.. ..#.. .#... .....",
            ['-'] = "..... ..... ..... .###. ..... ..... .....",
            ['.'] = "..... ..... ..... ..... ..... .##.. .##..",
            ['/'] = "..... ....# ...#. ..#.. .#... #.... .....",
            ['0'] = ".###. #...# #..## #.#.# ##..# #...# .###.",
            ['1'] = "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
            ['2'] = ".###. #...# ....# ...#. ..#.. .#... #####",
            ['3'] = "##### ...#. ..#.. ...#. ....# #...# .###.",
            ['4'] = "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
            ['5'] = "##### #.... ####. ....# ....# #...# .###.",
            ['6'] = "..##. .#... #.... ####. #...# #...# .###.",
            ['7'] = "##### ....# ...#. ..#.. .#... .#... .#...",
            ['8'] = ".###. #...# #...# .###. #...# #...# .###.",
            ['9'] = ".###. #...# #...# .#### ....# ...#. .##..",
            [':'] = "..... .##.. .##.. ..... .##.. .##.. .....",
            [';'] = "..... .##.. .##.. ..... .##.. ..#.. .#...",
            ['<'] = "...#. ..#.. .#... #.... .#... ..#.. ...#.",
            ['='] = "..... ..... ##### ..... ##### ..... .....",
            ['>'] = ".#... ..#.. ...#. ....# ...#. ..#.. .#...",
            ['?'] = ".###. #...# ....# ...#. ..#.. ..... ..#..",
            ['@'] = ".###. #...# ....# .##.# #.#.# #.#.# .###.",
            ['A'] = ".###. #...# #...# #...# ##### #...# #...#",
            ['B'] = "####. #...# #...# ####. #...# #...# ####.",
            ['C'] = ".###. #...# #.... #.... #.... #...# .###.",
            ['D'] = "###.. #..#. #...# #...# #...# #..#. ###..",
            ['E'] = "##### #.... #.... ####. #.... #.... #####",
            ['F'] = "##### #.... #.... ####. #.... #.... #....",
            ['G'] = ".###. #...# #.... #.### #...# #...# .####",
            ['H'] = "#...# #...# #...# ##### #...# #...# #...#",
            ['I'] = ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
            ['J'] = "..### ...#. ...#. ...#. ...#. #..#. .##..",
            ['K'] = "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
            ['L'] = "#.... #.... #.... #.... #.... #.... #####",
            ['M'] = "#...# ##.## #.#.# #.#.# #...# #...# #...#",
            ['N'] = "#...# #...# ##..# #.#.# #..## #...# #...#",
            ['O'] = ".###. #...# #...# #...# #...# #...# .###.",
            ['P'] = "####. #...# #...# ####. #.... #.... #....",
            ['Q'] = ".###. #...# #...# #...# #.#.# #..#. .##.#",
            ['R'] = "####. #...# #...# ####. #.#.. #..#. #...#",
            ['S'] = ".#### #.... #.... .###. ....# ....# ####.",
            ['T'] = "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
            ['U'] = "#...# #...# #...# #...# #...# #...# .###.",
            ['V'] = "#...# #...# #...# #...# #...# .#.#. ..#..",
            ['W'] = "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
            ['X'] = "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
            ['Y'] = "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
            ['Z'] = "##### ....# ...#. ..#.. .#... #.... #####",
            ['['] = ".###. .#... .#... .#... .#... .#... .###.",
            ['\\'] = "..... #.... .#... ..#.. ...#. ....# .....",
            [']'] = ".###. ...#. ...#. ...#. ...#. ...#. .###.",
            ['^'] = "..#.. .#.#. #...# ..... ..... ..... .....",
            ['_'] = "..... ..... ..... ..... ..... ..... #####",
            ['`'] = ".#... ..#.. ...#. ..... ..... ..... .....",
            ['a'] = "..... ..... .###. ....# .#### #...# .####",
            ['b'] = "#.... #.... #.##. ##..# #...# #...# ####.",
            ['c'] = "..... ..... .###. #.... #.... #...# .###.",
            ['d'] = "....# ....# .##.# #..## #...# #...# .####",
            ['e'] = "..... ..... .###. #...# ##### #.... .###.",
            ['f'] = "..##. .#..# .#... ###.. .#... .#... .#...",
            ['g'] = "..... ..... .#### #...# #...# #...# .#### ....# .###.",
            ['h'] = "#.... #.... #.##. ##..# #...# #...# #...#",
            ['i'] = "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.",
            ['j'] = "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..",
            ['k'] = "#.... #.... #..#. #.#.. ##... #.#.. #..#.",
            ['l'] = ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
            ['m'] = "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#",
            ['n'] = "..... ..... #.##. ##..# #...# #...# #...#",
            ['o'] = "..... ..... .###. #...# #...# #...# .###.",
            ['p'] = "..... ..... ####. #...# #...# #...# ####. #.... #....",
            ['q'] = "..... ..... .#### #...# #...# #...# .#### ....# ....#",
            ['r'] = "..... ..... #.##. ##..# #.... #.... #....",
            ['s'] = "..... ..... .###. #.... .###. ....# ####.",
            ['t'] = ".#... .#... ###.. .#... .#... .#..# ..##.",
            ['u'] = "..... ..... #...# #...# #...# #..## .##.#",
            ['v'] = "..... ..... #...# #...# #...# .#.#. ..#..",
            ['w'] = "..... ..... #...# #...# #.#.# #.#.# .#.#.",
            ['x'] = "..... ..... #...# .#.#. ..#.. .#.#. #...#",
            ['y'] = "..... ..... #...# #...# #...# #...# .#### ....# .###.",
            ['z'] = "..... ..... ##### ...#. ..#.. .#... #####",
            ['{'] = "...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.",
            ['|'] = "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
            ['}'] = ".#... ..#.. ..#.. ...#. ..#.. ..#.. .#...",
            ['~'] = "..... ..... .#... #.#.# ...#. ..... .....",
            ['\u00D7'] = "..... #...# .#.#. ..#.. .#.#. #...# .....", // multiplication sign ×
            ['\u00B7'] = "..... ..... ..... .##.. .##.. ..... .....", // middle dot ·
            ['\u2013'] = "..... ..... ..... ##### ..... ..... .....", // en dash –
            ['\u2212'] = "..... ..... ..... ##### ..... ..... .....", // minus sign −
        };

        var glyphs = new Dictionary<char, byte[]>(table.Count);
        foreach (var (c, rows) in table)
        {
            glyphs[c] = Parse(rows);
        }

        return glyphs;
    }

    private static byte[] Parse(string rows)
    {
        var lines = rows.Split(' ');
        if (lines.Length is not (Ascent or GlyphHeight) || lines.Any(l => l.Length != GlyphWidth || l.Any(ch => ch is not ('#' or '.'))))
        {
            throw new InvalidOperationException($"Malformed glyph rows '{rows}'.");
        }

        var bits = new byte[GlyphHeight];
        for (var y = 0; y < lines.Length; y++)
        {
            for (var x = 0; x < GlyphWidth; x++)
            {
                if (lines[y][x] == '#')
                {
                    bits[y] |= (byte)(1 << (GlyphWidth - 1 - x));
                }
            }
        }

        return bits;
    }
}
