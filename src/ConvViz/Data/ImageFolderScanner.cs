// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using Microsoft.Extensions.Logging;

namespace ConvViz.Data;

/// <summary>Lists class folders and their image files in Keras' order, with optional, cycle-safe link following.</summary>
internal static class ImageFolderScanner
{
    private const int MaxDepth = 64;

    private static readonly EnumerationOptions s_oneLevel = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        ReturnSpecialDirectories = false,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
    };

    /// <summary>Gets the class sub-folders of <paramref name="directory"/> in ordinal order (hidden folders are ignored).</summary>
    /// <param name="directory">The dataset directory.</param>
    /// <returns>The folder names.</returns>
    public static List<string> ListClasses(string directory)
    {
        var names = new DirectoryInfo(directory).EnumerateDirectories("*", s_oneLevel).Select(d => d.Name).ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// Gets the file extensions (with dot, lower case) listed for the enabled formats. With the default formats this is
    /// Keras' <c>flow_from_directory</c> white list without TIFF: png, jpg, jpeg, bmp, ppm.
    /// </summary>
    /// <param name="formats">The enabled formats.</param>
    /// <returns>The extensions.</returns>
    public static HashSet<string> Extensions(ImageFormats formats)
    {
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Add(ImageFormats flag, params string[] extensions)
        {
            if (formats.HasFlag(flag))
            {
                set.UnionWith(extensions);
            }
        }

        Add(ImageFormats.Jpeg, ".jpg", ".jpeg");
        Add(ImageFormats.Png, ".png");
        Add(ImageFormats.Bmp, ".bmp");
        Add(ImageFormats.Gif, ".gif");
        Add(ImageFormats.Tiff, ".tif", ".tiff");
        Add(ImageFormats.Webp, ".webp");

        // Keras' white list has .ppm but not .pgm/.pnm, so folders list the same files as Keras; a .pgm file can still
        // be loaded directly or from a file list (formats are recognised by content).
        Add(ImageFormats.Netpbm, ".ppm");
        return set;
    }

    /// <summary>Lists image files under a class folder recursively, sorted like Keras (by folder, then by file name).</summary>
    /// <param name="classDirectory">The class folder.</param>
    /// <param name="extensions">Extensions to include.</param>
    /// <param name="followLinks">Whether to descend into linked directories.</param>
    /// <param name="ignored">Counts of files left out because their image format is disabled, by extension.</param>
    /// <param name="logger">The logger.</param>
    /// <returns>The full paths.</returns>
    public static List<string> ListFiles(string classDirectory, HashSet<string> extensions, bool followLinks, Dictionary<string, int> ignored, ILogger logger)
    {
        var found = new List<(string Folder, string Name)>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { Canonical(new DirectoryInfo(classDirectory)) };
        Walk(new DirectoryInfo(classDirectory), 0);
        found.Sort((a, b) =>
        {
            var byFolder = string.CompareOrdinal(a.Folder, b.Folder);
            return byFolder != 0 ? byFolder : string.CompareOrdinal(a.Name, b.Name);
        });
        return found.ConvertAll(f => Path.Combine(f.Folder, f.Name));

        void Walk(DirectoryInfo directory, int depth)
        {
            foreach (var entry in directory.EnumerateFileSystemInfos("*", s_oneLevel))
            {
                if (entry is DirectoryInfo sub)
                {
                    if (depth >= MaxDepth)
                    {
                        continue;
                    }

                    if (sub.LinkTarget is not null)
                    {
                        if (!followLinks)
                        {
                            continue;
                        }

                        var target = sub.ResolveLinkTarget(returnFinalTarget: true);
                        if (target is not DirectoryInfo { Exists: true } resolved)
                        {
                            continue;
                        }

                        var canonical = Canonical(resolved);
                        if (!visited.Add(canonical))
                        {
                            Log.LinkCycle(logger, sub.FullName, canonical);
                            continue;
                        }
                    }
                    else if (!visited.Add(sub.FullName))
                    {
                        continue;
                    }

                    Walk(sub, depth + 1);
                }
                else
                {
                    var extension = Path.GetExtension(entry.Name);
                    if (extensions.Contains(extension))
                    {
                        found.Add((directory.FullName, entry.Name));
                    }
                    else if (extension.ToLowerInvariant() is ".bmp" or ".gif" or ".tif" or ".tiff" or ".webp" or ".ppm")
                    {
                        var key = extension.ToLowerInvariant();
                        ignored[key] = ignored.GetValueOrDefault(key) + 1;
                    }
                }
            }
        }
    }

    private static string Canonical(DirectoryInfo directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory.FullName));
        return directory.LinkTarget is not null && directory.ResolveLinkTarget(returnFinalTarget: true) is { } target
            ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(target.FullName))
            : full;
    }
}
