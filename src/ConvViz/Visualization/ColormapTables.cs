// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Visualization;

/// <summary>
/// Builds the 256-entry lookup tables of <see cref="Colormap"/>. Viridis, magma and inferno are interpolated linearly
/// between eleven evenly spaced anchor colours of the published scales (0, 0.1, …, 1); jet uses its piecewise-linear
/// definition; gray is the identity ramp.
/// </summary>
internal static class ColormapTables
{
    private static readonly uint[] s_viridisAnchors =
        [0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C, 0x22A884, 0x44BF70, 0x7AD151, 0xBDDF26, 0xFDE725];

    private static readonly uint[] s_magmaAnchors =
        [0x000004, 0x140E36, 0x3B0F70, 0x641A80, 0x8C2981, 0xB73779, 0xDE4968, 0xF7705C, 0xFE9F6D, 0xFECF92, 0xFCFDBF];

    private static readonly uint[] s_infernoAnchors =
        [0x000004, 0x160B39, 0x420A68, 0x6A176E, 0x932667, 0xBC3754, 0xDD513A, 0xF37819, 0xFCA50A, 0xF6D746, 0xFCFFA4];

    private static readonly Rgb24[][] s_tables =
    [
        FromAnchors(s_viridisAnchors),
        FromAnchors(s_magmaAnchors),
        FromAnchors(s_infernoAnchors),
        BuildJet(),
        BuildGray(),
    ];

    /// <summary>Gets the 256-entry table of a colormap (do not modify it).</summary>
    public static Rgb24[] Get(Colormap colormap) =>
        (int)colormap >= 0 && (int)colormap < s_tables.Length
            ? s_tables[(int)colormap]
            : throw new ArgumentOutOfRangeException(nameof(colormap), colormap, "Unknown colormap.");

    /// <summary>Maps a value in [0, 1] (clamped; NaN maps to 0) to a colour.</summary>
    public static Rgb24 Map(Rgb24[] table, double t)
    {
        if (!(t > 0))
        {
            return table[0];
        }

        return table[t >= 1 ? 255 : (int)Math.Round(t * 255)];
    }

    private static Rgb24[] FromAnchors(uint[] anchors)
    {
        var table = new Rgb24[256];
        var segments = anchors.Length - 1;
        for (var i = 0; i < 256; i++)
        {
            var position = i / 255.0 * segments;
            var k = Math.Min((int)position, segments - 1);
            var f = position - k;
            table[i] = new Rgb24(
                Lerp(Channel(anchors[k], 16), Channel(anchors[k + 1], 16), f),
                Lerp(Channel(anchors[k], 8), Channel(anchors[k + 1], 8), f),
                Lerp(Channel(anchors[k], 0), Channel(anchors[k + 1], 0), f));
        }

        return table;
    }

    private static Rgb24[] BuildJet()
    {
        // Each channel is a trapezoid: clamp(1.5 - |4x - c|, 0, 1) with c = 3 (red), 2 (green), 1 (blue).
        var table = new Rgb24[256];
        for (var i = 0; i < 256; i++)
        {
            var x = i / 255.0;
            table[i] = new Rgb24(ToByte(1.5 - Math.Abs((4 * x) - 3)), ToByte(1.5 - Math.Abs((4 * x) - 2)), ToByte(1.5 - Math.Abs((4 * x) - 1)));
        }

        return table;
    }

    private static Rgb24[] BuildGray()
    {
        var table = new Rgb24[256];
        for (var i = 0; i < 256; i++)
        {
            table[i] = new Rgb24((byte)i, (byte)i, (byte)i);
        }

        return table;
    }

    private static int Channel(uint rgb, int shift) => (int)((rgb >> shift) & 0xFF);

    private static byte Lerp(int a, int b, double f) => (byte)Math.Round(a + ((b - a) * f));

    private static byte ToByte(double v) => (byte)Math.Round(Math.Clamp(v, 0, 1) * 255);
}
