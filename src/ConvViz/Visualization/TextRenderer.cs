// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Visualization;

/// <summary>
/// Draws single lines of text in <see cref="BitmapFont"/> with an integer scale (each font pixel becomes a
/// scale×scale block): no anti-aliasing, no system fonts, the same pixels on every machine. Pixels outside the target
/// are clipped.
/// </summary>
internal static class TextRenderer
{
    /// <summary>Gets the width of a line of text in pixels: the glyphs and the blank columns between them, none after the last.</summary>
    /// <param name="text">The text (one line).</param>
    /// <param name="scale">The integer scale, at least 1.</param>
    /// <returns>The width; 0 for an empty text.</returns>
    public static int MeasureWidth(string text, int scale)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        return text.Length == 0 ? 0 : ((text.Length * BitmapFont.Advance) - 1) * scale;
    }

    /// <summary>Gets the height of capitals and digits at a scale (what a line of numbers occupies).</summary>
    /// <param name="scale">The integer scale.</param>
    /// <returns>The height in pixels.</returns>
    public static int CapHeight(int scale) => BitmapFont.Ascent * scale;

    /// <summary>Gets the height of a line including descenders at a scale.</summary>
    /// <param name="scale">The integer scale.</param>
    /// <returns>The height in pixels.</returns>
    public static int LineHeight(int scale) => BitmapFont.GlyphHeight * scale;

    /// <summary>Draws text into a row-major pixel buffer with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <typeparam name="TPixel">The pixel type.</typeparam>
    /// <param name="pixels">The buffer, <paramref name="width"/> pixels per row.</param>
    /// <param name="width">The buffer's width.</param>
    /// <param name="text">The text (one line).</param>
    /// <param name="x">The left edge of the first glyph.</param>
    /// <param name="y">The top of the line (the top of capitals).</param>
    /// <param name="scale">The integer scale, at least 1.</param>
    /// <param name="color">The ink colour; background pixels are left unchanged.</param>
    public static void Draw<TPixel>(Span<TPixel> pixels, int width, string text, int x, int y, int scale, TPixel color)
        where TPixel : unmanaged
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        var height = pixels.Length / width;
        for (var i = 0; i < text.Length; i++)
        {
            var glyph = BitmapFont.Glyph(text[i]);
            var left = x + (i * BitmapFont.Advance * scale);
            for (var row = 0; row < BitmapFont.GlyphHeight; row++)
            {
                var bits = glyph[row];
                if (bits == 0)
                {
                    continue;
                }

                for (var column = 0; column < BitmapFont.GlyphWidth; column++)
                {
                    if ((bits & (1 << (BitmapFont.GlyphWidth - 1 - column))) != 0)
                    {
                        FillBlock(pixels, width, height, left + (column * scale), y + (row * scale), scale, color);
                    }
                }
            }
        }
    }

    /// <summary>Draws text onto an image with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <typeparam name="TPixel">The pixel type, for example <see cref="Rgb24"/> or <see cref="Rgba32"/>.</typeparam>
    /// <param name="image">The image to draw on.</param>
    /// <param name="text">The text (one line).</param>
    /// <param name="x">The left edge of the first glyph.</param>
    /// <param name="y">The top of the line.</param>
    /// <param name="scale">The integer scale, at least 1.</param>
    /// <param name="color">The ink colour.</param>
    public static void Draw<TPixel>(Image<TPixel> image, string text, int x, int y, int scale, TPixel color)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        ArgumentNullException.ThrowIfNull(image);
        var buffer = new TPixel[image.Width * image.Height];
        image.CopyPixelDataTo(buffer);
        Draw(buffer.AsSpan(), image.Width, text, x, y, scale, color);
        image.ProcessPixelRows(accessor =>
        {
            for (var row = 0; row < accessor.Height; row++)
            {
                buffer.AsSpan(row * accessor.Width, accessor.Width).CopyTo(accessor.GetRowSpan(row));
            }
        });
    }

    private static void FillBlock<TPixel>(Span<TPixel> pixels, int width, int height, int left, int top, int size, TPixel color)
        where TPixel : unmanaged
    {
        var x0 = Math.Max(0, left);
        var x1 = Math.Min(width, left + size);
        if (x1 <= x0)
        {
            return;
        }

        for (var y = Math.Max(0, top); y < Math.Min(height, top + size); y++)
        {
            pixels.Slice((y * width) + x0, x1 - x0).Fill(color);
        }
    }
}
