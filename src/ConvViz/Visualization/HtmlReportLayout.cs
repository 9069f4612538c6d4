// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>The layout of an <see cref="HtmlReport"/>.</summary>
public enum HtmlReportLayout
{
    /// <summary>One explorable offline page: layer list, channel grid and large channel view, attribution per class, several images.</summary>
    Interactive = 0,

    /// <summary>The static page (tables and pictures, no script needed), for printing.</summary>
    Static,
}
