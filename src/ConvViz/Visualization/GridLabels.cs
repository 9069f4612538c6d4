// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using ConvViz.Models;

namespace ConvViz.Visualization;

/// <summary>
/// The text drawn around a <see cref="TileCanvas"/>: a title above the grid, a number above every tile (or, when
/// those do not fit, a number per row on the left), numbers above the columns, and the values at both ends of the
/// colour strip. Every part is optional; <see cref="None"/> gives the unlabelled layout.
/// </summary>
internal sealed class GridLabels
{
    /// <summary>No labels at all.</summary>
    public static readonly GridLabels None = new();

    /// <summary>Gets the title, drawn above the grid and wrapped at " · " when the grid is narrower than it.</summary>
    public string? Title { get; init; }

    /// <summary>Gets one label per tile, drawn above it if the widest fits in a tile's width (then the row labels are not drawn).</summary>
    public IReadOnlyList<string>? TileLabels { get; init; }

    /// <summary>Gets one label per row, drawn left of the grid when there are no tile labels or they do not fit; rows too short for text are skipped evenly.</summary>
    public IReadOnlyList<string>? RowLabels { get; init; }

    /// <summary>Gets one label per column, drawn above the grid; columns too narrow for their label are skipped evenly.</summary>
    public IReadOnlyList<string>? ColumnLabels { get; init; }

    /// <summary>Gets the text under the left (low) end of the colour strip.</summary>
    public string? StripLow { get; init; }

    /// <summary>Gets the text under the right (high) end of the colour strip.</summary>
    public string? StripHigh { get; init; }

    /// <summary>
    /// Formats the standard title of a layer: name, 0-based index with the 1-based R index beside it, and the output
    /// shape in Keras order, for example <c>conv2d_1 · layer 2 (R index 3) · 72×72×64</c>.
    /// </summary>
    /// <param name="layer">The layer.</param>
    /// <returns>The title text.</returns>
    public static string LayerTitle(LayerInfo layer) =>
        $"{layer.Name} \u00B7 layer {layer.Index} (R index {layer.Index + 1}) \u00B7 {FormatShape(layer.OutputShape.Dimensions)}";

    /// <summary>Formats dimensions as <c>72×72×64</c>.</summary>
    /// <param name="dimensions">The dimensions.</param>
    /// <returns>The text.</returns>
    public static string FormatShape(IEnumerable<int> dimensions) => string.Join("\u00D7", dimensions);

    /// <summary>Formats a value at both ends of a colour bar: four significant digits, invariant culture (<c>-0.8415</c>, <c>1.234E+05</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string FormatValue(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Labels each tile with its channel number.</summary>
    /// <param name="channels">The channel drawn on each tile, in tile order.</param>
    /// <returns>The labels.</returns>
    public static string[] Numbers(IReadOnlyList<int> channels) =>
        [.. channels.Select(c => c.ToString(CultureInfo.InvariantCulture))];

    /// <summary>
    /// Labels each row with the channel of its first tile, but only when the tiles show consecutive ascending channels,
    /// so that the reader can count along a row; <see langword="null"/> otherwise.
    /// </summary>
    /// <param name="channels">The channel drawn on each tile, in tile order.</param>
    /// <param name="columns">The tiles per row.</param>
    /// <returns>The row labels, or <see langword="null"/>.</returns>
    public static string[]? RowStarts(IReadOnlyList<int> channels, int columns)
    {
        for (var i = 1; i < channels.Count; i++)
        {
            if (channels[i] != channels[i - 1] + 1)
            {
                return null;
            }
        }

        columns = Math.Min(columns, channels.Count);
        var rows = (channels.Count + columns - 1) / columns;
        return [.. Enumerable.Range(0, rows).Select(r => channels[r * columns].ToString(CultureInfo.InvariantCulture))];
    }
}
