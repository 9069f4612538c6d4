// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Microsoft.Extensions.Logging;

namespace ConvViz.Data;

/// <summary>Log messages of the data pipeline (event ids 2000–2099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Found {ImageCount} images belonging to {ClassCount} classes.")]
    public static partial void FoundImages(ILogger logger, int imageCount, int classCount);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Class '{ClassName}' has no images in {Directory}.")]
    public static partial void EmptyClass(ILogger logger, string className, string directory);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Skipping image: {Reason}")]
    public static partial void SkippedImage(ILogger logger, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Skipped {SkippedCount} unusable image files so far ({ImageCount} images were used in this pass). See ImageFolderDataset.SkippedFiles.")]
    public static partial void SkippedSummary(ILogger logger, int skippedCount, int imageCount);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Ignored {FileCount} '{Extension}' files: the format is not enabled in ImageDecodingOptions.Formats.")]
    public static partial void IgnoredDisabledFormat(ILogger logger, int fileCount, string extension);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Not following the directory link {Directory} again: it leads to {Target}, which was already visited (link cycle).")]
    public static partial void LinkCycle(ILogger logger, string directory, string target);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Copied {FileCount} files into {Destination} ({Summary}).")]
    public static partial void SplitDone(ILogger logger, int fileCount, string destination, string summary);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Left out {FileCount} listed files whose class is not in ImageFolderDatasetOptions.Classes.")]
    public static partial void DroppedUnlistedClasses(ILogger logger, int fileCount);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "The decoded-image cache is full at {CachedCount} of {ImageCount} images ({LimitMegabytes} MB, ImageFolderDatasetOptions.CacheMemoryLimit): the others are decoded every pass.")]
    public static partial void CacheFull(ILogger logger, int cachedCount, int imageCount, long limitMegabytes);
}
