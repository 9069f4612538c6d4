// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text;

namespace ConvViz.Data;

/// <summary>One planned copy of <see cref="DatasetSplitter"/>.</summary>
/// <param name="Source">The source file.</param>
/// <param name="Destination">The destination file.</param>
/// <param name="Split">The split name.</param>
/// <param name="ClassName">The class name.</param>
public sealed record DatasetSplitFile(string Source, string Destination, string Split, string ClassName);

/// <summary>What <see cref="DatasetSplitter.Split"/> did (or would do, in a dry run).</summary>
public sealed class DatasetSplitReport
{
    internal DatasetSplitReport(IReadOnlyList<string> splits, IReadOnlyList<string> classes, IReadOnlyList<DatasetSplitFile> files, IReadOnlyList<string> unassigned, int copied, IReadOnlyList<DatasetSplitFile> skippedExisting, bool dryRun)
    {
        Splits = splits;
        Classes = classes;
        Files = files;
        UnassignedFiles = unassigned;
        CopiedCount = copied;
        SkippedExistingFiles = skippedExisting;
        DryRun = dryRun;
    }

    /// <summary>Gets the split names in the order given.</summary>
    public IReadOnlyList<string> Splits { get; }

    /// <summary>Gets the class names found, in ordinal order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Gets every planned copy.</summary>
    public IReadOnlyList<DatasetSplitFile> Files { get; }

    /// <summary>Gets source files that matched no split (unparsable name or number outside every range).</summary>
    public IReadOnlyList<string> UnassignedFiles { get; }

    /// <summary>Gets the number of files copied (0 in a dry run).</summary>
    public int CopiedCount { get; }

    /// <summary>
    /// Gets the number of files left alone because they already existed: identical to their source under
    /// <see cref="ExistingFilePolicy.SkipIdentical"/> (a second run of the same split), any content under <see cref="ExistingFilePolicy.Skip"/>.
    /// </summary>
    public int SkippedExistingCount => SkippedExistingFiles.Count;

    /// <summary>Gets the planned copies that were skipped because the destination already existed (see <see cref="SkippedExistingCount"/>), in plan order.</summary>
    public IReadOnlyList<DatasetSplitFile> SkippedExistingFiles { get; }

    /// <summary>Gets a value indicating whether this was a dry run.</summary>
    public bool DryRun { get; }

    /// <summary>Gets the number of files of a class in a split.</summary>
    /// <param name="split">The split name.</param>
    /// <param name="className">The class name.</param>
    /// <returns>The count.</returns>
    public int Count(string split, string className) => Files.Count(f => f.Split == split && f.ClassName == className);

    /// <summary>Formats the counts as a table (split × class).</summary>
    /// <returns>The table.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{"split",-12}");
        foreach (var c in Classes)
        {
            text.Append(CultureInfo.InvariantCulture, $" {c,10}");
        }

        text.AppendLine();
        foreach (var s in Splits)
        {
            text.Append(CultureInfo.InvariantCulture, $"{s,-12}");
            foreach (var c in Classes)
            {
                text.Append(CultureInfo.InvariantCulture, $" {Count(s, c),10}");
            }

            text.AppendLine();
        }

        text.Append(CultureInfo.InvariantCulture, $"{(DryRun ? "dry run: nothing copied" : $"copied {CopiedCount}, kept {SkippedExistingCount} existing")}; {UnassignedFiles.Count} files matched no split.");
        return text.ToString();
    }
}
