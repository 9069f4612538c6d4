// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using ConvViz.Imaging;

namespace ConvViz.Data;

/// <summary>
/// Copies a flat, Kaggle-style folder (<c>cat.1.jpg</c>, <c>dog.1.jpg</c>, …) into
/// <c>{split}/{class}/</c> folders that <see cref="ImageFolderDataset"/> reads, by number ranges (the blog's
/// 1–2000 train, 2001–3000 test) or by seeded fractions. Files are copied, never moved; existing files are never
/// overwritten unless asked.
/// </summary>
public static class DatasetSplitter
{
    private static readonly HashSet<string> s_imageExtensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".gif", ".tif", ".tiff", ".webp" };

    /// <summary>Plans and (unless <see cref="DatasetSplitOptions.DryRun"/>) performs the copy.</summary>
    /// <param name="options">The options.</param>
    /// <param name="cancellationToken">Stops between files.</param>
    /// <returns>The counts per split and class, the planned copies and the unassigned files.</returns>
    /// <exception cref="DirectoryNotFoundException">The source folder does not exist.</exception>
    /// <exception cref="ArgumentException">The splits are empty, mixed, overlapping, duplicated or sum above 1, or the destination is the source.</exception>
    /// <exception cref="IOException">
    /// Under <see cref="ExistingFilePolicy.SkipIdentical"/> (the default): a destination file exists with other content
    /// than its source, named in the message; under <see cref="ExistingFilePolicy.Throw"/>: destination files already
    /// exist. Nothing is copied in either case.
    /// </exception>
    public static DatasetSplitReport Split(DatasetSplitOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var source = Path.GetFullPath(options.SourceDirectory);
        var destination = Path.GetFullPath(options.DestinationDirectory);
        if (!Directory.Exists(source))
        {
            throw new DirectoryNotFoundException($"The source folder '{source}' does not exist.");
        }

        if (string.Equals(Path.TrimEndingDirectorySeparator(source), Path.TrimEndingDirectorySeparator(destination), StringComparison.Ordinal))
        {
            throw new ArgumentException("The destination must differ from the source folder.", nameof(options));
        }

        var splits = options.Splits;
        ValidateSplits(splits);
        var byRange = splits[0].Fraction is null;

        var unassigned = new List<string>();
        var perClass = new SortedDictionary<string, List<(int? Number, string Path)>>(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(source, "*", new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System }).ToList();
        files.Sort(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            if (FileTypeProbe.GetKind(file) is not (FileKind.Regular or FileKind.Unknown))
            {
                // A FIFO or device would block or stream forever in File.Copy: never copy it.
                unassigned.Add(file);
                continue;
            }

            var parts = name.Split(options.Separator);
            int? number = parts.Length >= 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
            if (!s_imageExtensions.Contains(Path.GetExtension(name)) || parts.Length < 2 || parts[0].Length == 0 || (byRange && number is null))
            {
                unassigned.Add(file);
                continue;
            }

            if (!perClass.TryGetValue(parts[0], out var list))
            {
                perClass[parts[0]] = list = [];
            }

            list.Add((number, file));
        }

        var plan = new List<DatasetSplitFile>();
        var random = new Random(options.Seed);
        foreach (var (className, list) in perClass)
        {
            if (byRange)
            {
                foreach (var (number, path) in list)
                {
                    var split = splits.FirstOrDefault(s => number >= s.FirstNumber && number <= s.LastNumber);
                    if (split is null)
                    {
                        unassigned.Add(path);
                    }
                    else
                    {
                        plan.Add(Plan(path, destination, split.Name, className));
                    }
                }

                continue;
            }

            var ordered = list.OrderBy(f => f.Number ?? int.MaxValue).ThenBy(f => f.Path, StringComparer.Ordinal).Select(f => f.Path).ToArray();
            random.Shuffle(ordered);
            var total = splits.Sum(s => s.Fraction!.Value);
            double cumulative = 0;
            var start = 0;
            foreach (var split in splits)
            {
                cumulative += split.Fraction!.Value;
                var end = split == splits[^1] && Math.Abs(total - 1) < 1e-9 ? ordered.Length : (int)Math.Floor((cumulative * ordered.Length) + 1e-9);
                for (var i = start; i < end; i++)
                {
                    plan.Add(Plan(ordered[i], destination, split.Name, className));
                }

                start = end;
            }

            unassigned.AddRange(ordered[start..]);
        }

        var existing = plan.Where(p => File.Exists(p.Destination)).ToList();
        if (existing.Count > 0 && options.ExistingFiles == ExistingFilePolicy.Throw && !options.DryRun)
        {
            throw new IOException($"{existing.Count} destination files already exist, for example '{existing[0].Destination}'. Nothing was copied. Choose another destination or set ExistingFiles to SkipIdentical, Skip or Overwrite.");
        }

        var keep = new HashSet<string>(StringComparer.Ordinal);
        if (!options.DryRun && options.ExistingFiles == ExistingFilePolicy.SkipIdentical)
        {
            var different = new List<DatasetSplitFile>();
            foreach (var item in existing)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (IsIdentical(item.Source, item.Destination))
                {
                    keep.Add(item.Destination);
                }
                else
                {
                    different.Add(item);
                }
            }

            if (different.Count > 0)
            {
                throw new IOException(
                    $"{different.Count} destination {(different.Count == 1 ? "file exists" : "files exist")} with other content than {(different.Count == 1 ? "its source" : "their sources")}: " +
                    $"'{different[0].Destination}' differs from '{different[0].Source}'" + (different.Count > 1 ? $" (and {different.Count - 1} more)" : string.Empty) +
                    ". Nothing was copied. Identical files are skipped; for these, remove them, choose another destination, or set ExistingFiles to Overwrite (replace them) or Skip (keep them).");
            }
        }
        else if (options.ExistingFiles == ExistingFilePolicy.Skip)
        {
            keep.UnionWith(existing.Select(e => e.Destination));
        }

        var copied = 0;
        var skipped = new List<DatasetSplitFile>();
        if (!options.DryRun)
        {
            foreach (var item in plan)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (keep.Contains(item.Destination))
                {
                    skipped.Add(item);
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(item.Destination)!);
                File.Copy(item.Source, item.Destination, overwrite: options.ExistingFiles == ExistingFilePolicy.Overwrite);
                copied++;
            }
        }

        unassigned.Sort(StringComparer.Ordinal);
        var report = new DatasetSplitReport([.. splits.Select(s => s.Name)], [.. perClass.Keys], plan, unassigned, copied, skipped, options.DryRun);
        Log.SplitDone(options.Logger, copied, destination, string.Join("; ", report.Splits.Select(s => $"{s}: " + string.Join(", ", report.Classes.Select(c => $"{c} {report.Count(s, c)}")))));
        return report;
    }

    /// <summary>Whether a destination is a regular file with the same length and bytes as its source.</summary>
    private static bool IsIdentical(string source, string destination)
    {
        // Never open a FIFO or device that sits where a copy would go: it could block or stream forever.
        if (FileTypeProbe.GetKind(destination) is not (FileKind.Regular or FileKind.Unknown))
        {
            return false;
        }

        if (new FileInfo(source).Length != new FileInfo(destination).Length)
        {
            return false;
        }

        const int BufferSize = 1 << 16;
        using var a = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        using var b = new FileStream(destination, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        var bufferA = new byte[BufferSize];
        var bufferB = new byte[BufferSize];
        while (true)
        {
            var readA = a.ReadAtLeast(bufferA, BufferSize, throwOnEndOfStream: false);
            var readB = b.ReadAtLeast(bufferB, BufferSize, throwOnEndOfStream: false);
            if (readA != readB || !bufferA.AsSpan(0, readA).SequenceEqual(bufferB.AsSpan(0, readB)))
            {
                return false;
            }

            if (readA == 0)
            {
                return true;
            }
        }
    }

    private static DatasetSplitFile Plan(string sourceFile, string destination, string split, string className)
    {
        if (className.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || className is "." or "..")
        {
            throw new InvalidDataException($"The class name '{className}' taken from '{sourceFile}' is not a valid folder name.");
        }

        return new DatasetSplitFile(sourceFile, Path.Combine(destination, split, className, Path.GetFileName(sourceFile)), split, className);
    }

    private static void ValidateSplits(IReadOnlyList<DatasetSplit> splits)
    {
        if (splits.Count == 0)
        {
            throw new ArgumentException("Give at least one split.", nameof(splits));
        }

        if (splits.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() != splits.Count)
        {
            throw new ArgumentException("Split names must be unique.", nameof(splits));
        }

        var fractions = splits.Count(s => s.Fraction is not null);
        if (fractions != 0 && fractions != splits.Count)
        {
            throw new ArgumentException("Use either index ranges or fractions for all splits, not both.", nameof(splits));
        }

        if (fractions > 0)
        {
            var total = splits.Sum(s => s.Fraction!.Value);
            if (total > 1 + 1e-9)
            {
                throw new ArgumentException($"The fractions sum to {total.ToString(CultureInfo.InvariantCulture)}, above 1.", nameof(splits));
            }

            return;
        }

        var ordered = splits.OrderBy(s => s.FirstNumber).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].FirstNumber <= ordered[i - 1].LastNumber)
            {
                throw new ArgumentException($"The ranges of '{ordered[i - 1].Name}' and '{ordered[i].Name}' overlap.", nameof(splits));
            }
        }
    }
}
