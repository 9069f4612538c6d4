// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Microsoft.Extensions.Logging;

namespace ConvViz.Visualization;

/// <summary>Log messages of the HTML report (event ids 2100–2109).</summary>
internal static partial class HtmlReportLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "HtmlReport: {Reduction}")]
    public static partial void OverBudget(ILogger logger, string reduction);
}
