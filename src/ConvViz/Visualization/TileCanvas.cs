// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Visualization;

/// <summary>
/// A grid of equally sized tiles on an RGB canvas, filled row by row (row 0 of every tile at the top), with padding
/// between and around tiles, an optional colour-scale strip under the grid, and optional labels (see
/// <see cref="GridLabels"/>) drawn in their own margins so that they never cover a tile. Without labels the layout is
/// exactly the unlabelled one: the tiles, padding and strip land on the same pixels.
/// </summary>
internal sealed class TileCanvas
{
    public static readonly Rgb24 Background = new(255, 255, 255);
    public static readonly Rgb24 NeutralTile = new(128, 128, 128);
    public static readonly Rgb24 NeutralMarker = new(176, 176, 176);
    public static readonly Rgb24 TitleInk = new(32, 32, 32);
    public static readonly Rgb24 LabelInk = new(80, 80, 80);

    /// <summary>Grids at least this wide (in pixels) draw their title and colour-bar numbers at font scale 2.</summary>
    public const int LargeTextWidth = 400;

    /// <summary>Tiles at least this wide (in pixels) draw their numbers at font scale 2.</summary>
    public const int LargeTileLabelWidth = 160;

    private const string TitleSeparator = " \u00B7 ";

    private readonly Rgb24[] _pixels;
    private readonly int _gridLeft;
    private readonly int _gridTop;
    private readonly int _bandHeight;

    public TileCanvas(int count, int tileHeight, int tileWidth, int scale, int columns, int padding, bool colorStrip)
        : this(count, tileHeight, tileWidth, scale, columns, padding, colorStrip, GridLabels.None)
    {
    }

    public TileCanvas(int count, int tileHeight, int tileWidth, int scale, int columns, int padding, bool colorStrip, GridLabels labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Count = count;
        TileHeight = tileHeight;
        TileWidth = tileWidth;
        Scale = scale;
        Columns = Math.Min(columns, count);
        Rows = (count + Columns - 1) / Columns;
        Padding = padding;
        var tilePixelWidth = tileWidth * scale;
        var tilePixelHeight = tileHeight * scale;
        var textMargin = Math.Max(padding, 2);

        // Numbers above the tiles if the widest fits in a tile's width; otherwise the row labels (if any) on the left.
        TileLabelScale = tilePixelWidth >= LargeTileLabelWidth ? 2 : 1;
        if (labels.TileLabels is { } tileLabels && WidestLabel(tileLabels, TileLabelScale) > tilePixelWidth)
        {
            TileLabelScale = 1;
        }

        DrawsTileLabels = labels.TileLabels is { Count: > 0 } candidates && WidestLabel(candidates, TileLabelScale) <= tilePixelWidth;
        _bandHeight = DrawsTileLabels ? TextRenderer.CapHeight(TileLabelScale) + 2 : 0;
        var rowLabels = DrawsTileLabels ? null : labels.RowLabels;
        _gridLeft = rowLabels is { Count: > 0 } ? 2 + WidestLabel(rowLabels, 1) + 3 : 0;

        var gridWidthWithoutHeader = _gridLeft + (Columns * tilePixelWidth) + ((Columns + 1) * padding);
        TextScale = gridWidthWithoutHeader >= LargeTextWidth ? 2 : 1;
        TitleLines = labels.Title is { Length: > 0 } title
            ? WrapTitle(title, gridWidthWithoutHeader - (2 * textMargin), TextScale)
            : [];

        var y = 0;
        var titleTop = textMargin;
        if (TitleLines.Count > 0)
        {
            y = titleTop + (TitleLines.Count * TextRenderer.LineHeight(TextScale)) + ((TitleLines.Count - 1) * TextScale) + 2;
        }

        var columnLabelTop = y + 1;
        if (labels.ColumnLabels is { Count: > 0 })
        {
            y += TextRenderer.CapHeight(1) + 2;
        }

        _gridTop = y;
        var gridWidth = gridWidthWithoutHeader;
        var gridHeight = _gridTop + (Rows * (_bandHeight + tilePixelHeight)) + ((Rows + 1) * padding);
        StripHeight = colorStrip ? Math.Max(8, Math.Min(24, tileHeight * scale / 4)) : 0;
        var stripGap = colorStrip ? Math.Max(0, 2 - padding) : 0;
        var stripMargin = Math.Max(padding, 1);
        var hasStripLabels = colorStrip && (labels.StripLow is not null || labels.StripHigh is not null);
        var stripLabelsWidth = hasStripLabels
            ? TextRenderer.MeasureWidth(labels.StripLow ?? string.Empty, TextScale) + (8 * TextScale) + TextRenderer.MeasureWidth(labels.StripHigh ?? string.Empty, TextScale)
            : 0;
        var titleWidth = TitleLines.Count == 0 ? 0 : TitleLines.Max(l => TextRenderer.MeasureWidth(l, TextScale)) + (2 * textMargin);
        Width = Math.Max(Math.Max(gridWidth, colorStrip ? 64 : 1), Math.Max(titleWidth, hasStripLabels ? stripLabelsWidth + (2 * stripMargin) : 0));
        StripTop = gridHeight + stripGap;
        var stripLabelTop = StripTop + StripHeight + 2;
        Height = !colorStrip ? gridHeight
            : hasStripLabels ? stripLabelTop + TextRenderer.CapHeight(TextScale) + Math.Max(padding, 2)
            : StripTop + StripHeight + Math.Max(padding, 2);
        if ((long)Width * Height > 100_000_000)
        {
            throw new ArgumentException(
                $"The grid would be {Width}×{Height} pixels. Draw fewer channels, a smaller scale or fewer columns.");
        }

        _pixels = new Rgb24[Width * Height];
        Array.Fill(_pixels, Background);

        for (var i = 0; i < TitleLines.Count; i++)
        {
            Text(TitleLines[i], textMargin, titleTop + (i * (TextRenderer.LineHeight(TextScale) + TextScale)), TextScale, TitleInk);
        }

        if (DrawsTileLabels)
        {
            for (var i = 0; i < Math.Min(count, labels.TileLabels!.Count); i++)
            {
                var (left, top) = Origin(i);
                Text(labels.TileLabels[i], left, top - _bandHeight + 1, TileLabelScale, LabelInk);
            }
        }

        if (rowLabels is { Count: > 0 })
        {
            var rowPitch = _bandHeight + tilePixelHeight + padding;
            var step = Math.Max(1, (int)Math.Ceiling((TextRenderer.CapHeight(1) + 2) / (double)rowPitch));
            for (var row = 0; row < Math.Min(Rows, rowLabels.Count); row += step)
            {
                var (_, top) = Origin(row * Columns);
                var text = rowLabels[row];
                Text(text, _gridLeft - 3 - TextRenderer.MeasureWidth(text, 1), top, 1, LabelInk);
            }
        }

        if (labels.ColumnLabels is { Count: > 0 } columnLabels)
        {
            var columnPitch = tilePixelWidth + padding;
            var step = Math.Max(1, (int)Math.Ceiling((WidestLabel(columnLabels, 1) + 4) / (double)columnPitch));
            for (var column = 0; column < Math.Min(Columns, columnLabels.Count); column += step)
            {
                var (left, _) = Origin(column);
                Text(columnLabels[column], left, columnLabelTop, 1, LabelInk);
            }
        }

        if (hasStripLabels)
        {
            if (labels.StripLow is { } low)
            {
                Text(low, stripMargin, stripLabelTop, TextScale, LabelInk);
            }

            if (labels.StripHigh is { } high)
            {
                Text(high, Width - stripMargin - TextRenderer.MeasureWidth(high, TextScale), stripLabelTop, TextScale, LabelInk);
            }
        }
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

    /// <summary>Gets the font scale of the title and the colour-bar numbers.</summary>
    public int TextScale { get; }

    /// <summary>Gets the font scale of the numbers above the tiles.</summary>
    public int TileLabelScale { get; }

    /// <summary>Gets a value indicating whether every tile has its label above it (false if none were given or they do not fit).</summary>
    public bool DrawsTileLabels { get; }

    /// <summary>Gets the title as drawn, one entry per line.</summary>
    public IReadOnlyList<string> TitleLines { get; }

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

    /// <summary>Gets the top-left pixel of a tile (below its label band, right of the row labels).</summary>
    public (int Left, int Top) Origin(int index)
    {
        var row = index / Columns;
        var column = index % Columns;
        return (
            _gridLeft + Padding + (column * ((TileWidth * Scale) + Padding)),
            _gridTop + Padding + (row * (_bandHeight + (TileHeight * Scale) + Padding)) + _bandHeight);
    }

    /// <summary>
    /// Splits a title into lines no wider than <paramref name="available"/> pixels (or than its widest part, if that is
    /// wider: the canvas then widens to fit it), breaking only at the " · " separators.
    /// </summary>
    internal static IReadOnlyList<string> WrapTitle(string title, int available, int scale)
    {
        if (TextRenderer.MeasureWidth(title, scale) <= available)
        {
            return [title];
        }

        // The canvas is at least as wide as the widest part, so the other lines may use that width too.
        var parts = title.Split(TitleSeparator);
        available = Math.Max(available, parts.Max(p => TextRenderer.MeasureWidth(p, scale)));
        var lines = new List<string>();
        var current = string.Empty;
        foreach (var part in parts)
        {
            var candidate = current.Length == 0 ? part : current + TitleSeparator + part;
            if (current.Length > 0 && TextRenderer.MeasureWidth(candidate, scale) > available)
            {
                lines.Add(current);
                current = part;
            }
            else
            {
                current = candidate;
            }
        }

        lines.Add(current);
        return lines;
    }

    private static int WidestLabel(IReadOnlyList<string> labels, int scale) =>
        labels.Count == 0 ? 0 : labels.Max(l => TextRenderer.MeasureWidth(l, scale));

    private void Text(string text, int x, int y, int scale, Rgb24 color) =>
        TextRenderer.Draw(_pixels.AsSpan(), Width, text, x, y, scale, color);
}
