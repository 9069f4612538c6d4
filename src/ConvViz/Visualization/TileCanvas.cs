// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Visualization;

/// <summary>
/// A grid of equally sized tiles on an RGB canvas, filled row by row (row 0 of every tile at the top), with padding
/// between and around tiles and an optional colour-scale strip under the grid.
/// </summary>
internal sealed class TileCanvas
{
    public static readonly Rgb24 Background = new(255, 255, 255);
    public static readonly Rgb24 NeutralTile = new(128, 128, 128);
    public static readonly Rgb24 NeutralMarker = new(176, 176, 176);

    private readonly Rgb24[] _pixels;

    public TileCanvas(int count, int tileHeight, int tileWidth, int scale, int columns, int padding, bool colorStrip)
    {
        Count = count;
        TileHeight = tileHeight;
        TileWidth = tileWidth;
        Scale = scale;
        Columns = Math.Min(columns, count);
        Rows = (count + Columns - 1) / Columns;
        Padding = padding;
        var gridWidth = (Columns * tileWidth * scale) + ((Columns + 1) * padding);
        var gridHeight = (Rows * tileHeight * scale) + ((Rows + 1) * padding);
        StripHeight = colorStrip ? Math.Max(8, Math.Min(24, tileHeight * scale / 4)) : 0;
        var stripGap = colorStrip ? Math.Max(0, 2 - padding) : 0;
        Width = Math.Max(gridWidth, colorStrip ? 64 : 1);
        StripTop = gridHeight + stripGap;
        Height = StripTop + (colorStrip ? StripHeight + Math.Max(padding, 2) : 0);
        if ((long)Width * Height > 100_000_000)
        {
            throw new ArgumentException(
                $"The grid would be {Width}×{Height} pixels. Draw fewer channels, a smaller scale or fewer columns.");
        }

        _pixels = new Rgb24[Width * Height];
        Array.Fill(_pixels, Background);
    }

    public int Count { get; }

    public int TileHeight { get; }

    public int TileWidth { get; }

    public int Scale { get; }

    public int Columns { get; }

    public int Rows { get; }

    public int Padding { get; }

    public int Width { get; }

    public int Height { get; }

    public int StripHeight { get; }

    public int StripTop { get; }

    /// <summary>Chooses the smallest integer scale that makes the longer side of a tile at least <paramref name="minimumSize"/> pixels (at most 32).</summary>
    public static int AutoScale(int height, int width, int minimumSize) =>
        Math.Clamp((int)Math.Ceiling(minimumSize / (double)Math.Max(height, width)), 1, 32);

    /// <summary>Draws one tile from unscaled pixels in row-major order; each pixel becomes a Scale×Scale block (nearest).</summary>
    public void DrawTile(int index, ReadOnlySpan<Rgb24> tile)
    {
        var (left, top) = Origin(index);
        for (var y = 0; y < TileHeight; y++)
        {
            var row = tile.Slice(y * TileWidth, TileWidth);
            for (var sy = 0; sy < Scale; sy++)
            {
                var line = _pixels.AsSpan(((top + (y * Scale) + sy) * Width) + left, TileWidth * Scale);
                for (var x = 0; x < TileWidth; x++)
                {
                    line.Slice(x * Scale, Scale).Fill(row[x]);
                }
            }
        }
    }

    /// <summary>Draws a neutral tile (mid grey with a lighter diagonal) for a constant ("dead") map.</summary>
    public void DrawNeutral(int index)
    {
        var (left, top) = Origin(index);
        var h = TileHeight * Scale;
        var w = TileWidth * Scale;
        for (var y = 0; y < h; y++)
        {
            _pixels.AsSpan(((top + y) * Width) + left, w).Fill(NeutralTile);
        }

        var steps = Math.Max(h, w);
        for (var i = 0; i < steps; i++)
        {
            var y = (int)((long)i * (h - 1) / Math.Max(1, steps - 1));
            var x = (int)((long)i * (w - 1) / Math.Max(1, steps - 1));
            _pixels[((top + y) * Width) + left + x] = NeutralMarker;
        }
    }

    /// <summary>Draws the colour-scale strip (low values left) under the grid.</summary>
    public void DrawStrip(Rgb24[] table)
    {
        if (StripHeight == 0)
        {
            return;
        }

        var margin = Math.Max(Padding, 1);
        var left = margin;
        var right = Width - margin;
        var span = Math.Max(1, right - left - 1);
        for (var y = 0; y < StripHeight; y++)
        {
            for (var x = left; x < right; x++)
            {
                _pixels[((StripTop + y) * Width) + x] = ColormapTables.Map(table, (x - left) / (double)span);
            }
        }
    }

    public Image<Rgb24> ToImage() => Image.LoadPixelData<Rgb24>(_pixels, Width, Height);

    private (int Left, int Top) Origin(int index)
    {
        var row = index / Columns;
        var column = index % Columns;
        return (Padding + (column * ((TileWidth * Scale) + Padding)), Padding + (row * ((TileHeight * Scale) + Padding)));
    }
}
