// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Net;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ConvViz.Interactive;

/// <summary>The HTML pieces every formatter shares: one column of at most <see cref="MaxWidth"/> pixels, images as data: URIs.</summary>
internal static class Html
{
    /// <summary>The widest output, in CSS pixels: a notebook column.</summary>
    public const int MaxWidth = 800;

    /// <summary>Images wider than this many pixels are downscaled before they are embedded (twice the column, for sharp high-DPI screens).</summary>
    public const int MaxEmbeddedWidth = 2 * MaxWidth;

    /// <summary>HTML-encodes text for element content and double-quoted attributes (apostrophes stay readable).</summary>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? string.Empty).Replace("&#39;", "'", StringComparison.Ordinal);

    public static string Number(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Number(double value, string format = "0.0000") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Wraps content in the ConvViz output box.</summary>
    public static string Box(string content, string kind) =>
        $"<div class=\"convviz convviz-{kind}\" style=\"max-width:{MaxWidth}px;font-family:sans-serif;font-size:13px;line-height:1.4\">{content}</div>";

    public static string Heading(string text) => $"<div style=\"font-weight:bold;margin:6px 0 4px 0\">{Encode(text)}</div>";

    public static string Note(string text) => $"<div style=\"color:#555;margin:2px 0\">{Encode(text)}</div>";

    /// <summary>Encodes an image as PNG, downscaled (box filter) to at most <see cref="MaxEmbeddedWidth"/> pixels wide.</summary>
    public static byte[] Png(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var stream = new MemoryStream();
        if (image.Width > MaxEmbeddedWidth)
        {
            var height = Math.Max(1, (int)Math.Round(image.Height * (double)MaxEmbeddedWidth / image.Width));
            using var smaller = image.Clone(c => c.Resize(MaxEmbeddedWidth, height, KnownResamplers.Box));
            smaller.Save(stream, new PngEncoder());
        }
        else
        {
            image.Save(stream, new PngEncoder());
        }

        return stream.ToArray();
    }

    /// <summary>An &lt;img&gt; with a PNG data: URI, shown at its own size but never wider than the column; small images are enlarged crisply.</summary>
    public static string Img(byte[] png, int width, int height, string alt, int? displayWidth = null)
    {
        var shown = Math.Min(displayWidth ?? width, MaxWidth);
        var pixelated = shown > width ? "image-rendering:pixelated;" : string.Empty;
        return $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" alt=\"{Encode(alt)}\" data-width=\"{width}\" data-height=\"{height}\" " +
            $"style=\"width:{shown}px;max-width:100%;height:auto;{pixelated}display:block\">";
    }

    /// <summary>An &lt;img&gt; showing an SVG document through a data: URI (kept by saved notebooks, not stripped as inline SVG may be).</summary>
    public static string SvgImg(string svg, string alt)
    {
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(svg));
        return $"<img src=\"data:image/svg+xml;base64,{base64}\" alt=\"{Encode(alt)}\" style=\"max-width:100%;height:auto;display:block\">";
    }

    public static string Table(IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows, IEnumerable<bool>? rightAligned = null)
    {
        var right = rightAligned?.ToArray() ?? [];
        var text = new StringBuilder();
        text.Append("<table style=\"border-collapse:collapse;margin:4px 0\"><thead><tr>");
        var i = 0;
        foreach (var h in header)
        {
            text.Append(Cell("th", h, i < right.Length && right[i]));
            i++;
        }

        text.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            text.Append("<tr>");
            i = 0;
            foreach (var cell in row)
            {
                text.Append(Cell("td", cell, i < right.Length && right[i]));
                i++;
            }

            text.Append("</tr>");
        }

        text.Append("</tbody></table>");
        return text.ToString();
    }

    private static string Cell(string tag, string encodedContent, bool right) =>
        $"<{tag} style=\"border-bottom:1px solid #ddd;padding:2px 10px 2px 0;text-align:{(right ? "right" : "left")}\">{encodedContent}</{tag}>";
}
