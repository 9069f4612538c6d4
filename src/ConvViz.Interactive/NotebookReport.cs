// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Net;

namespace ConvViz.Interactive;

/// <summary>ConvViz's one-file HTML report, shown inside the notebook in a sandboxed frame.</summary>
public sealed class NotebookReport
{
    /// <summary>Creates the view of a report document.</summary>
    /// <param name="html">The complete HTML document, for example from <c>HtmlReport.Create</c>.</param>
    /// <param name="height">The height of the frame in pixels.</param>
    /// <exception cref="ArgumentException">The document is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The height is below 100.</exception>
    public NotebookReport(string html, int height = 600)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(html);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 100);
        Html = html;
        Height = height;
    }

    /// <summary>Gets the HTML document.</summary>
    public string Html { get; }

    /// <summary>Gets the height of the frame in pixels.</summary>
    public int Height { get; }

    /// <summary>Returns a short description.</summary>
    /// <returns>For example <c>HTML report (812 KB)</c>.</returns>
    public override string ToString() => $"HTML report ({(Html.Length + 1023) / 1024} KB)";

    internal string ToHtml() =>
        ConvViz.Interactive.Html.Box(
            $"<iframe sandbox=\"allow-scripts\" title=\"ConvViz report\" style=\"width:100%;height:{Height}px;border:1px solid #ccc\" srcdoc=\"{WebUtility.HtmlEncode(Html)}\"></iframe>" +
            ConvViz.Interactive.Html.Note(ToString() + "; the same file HtmlReport.Save writes."),
            "report");
}
