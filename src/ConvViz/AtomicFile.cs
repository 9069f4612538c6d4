// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;

namespace ConvViz;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content, never a half-written file:
/// the content goes to a temporary file in the target's folder, is flushed to disk, and the temporary file is then
/// renamed over the target. On failure the temporary file is deleted and the target is left as it was.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes text to <paramref name="path"/> atomically, as UTF-8 without a byte-order mark.</summary>
    /// <param name="path">The target file; an existing file is replaced.</param>
    /// <param name="text">The content.</param>
    /// <returns>The full path written.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or has no folder.</exception>
    /// <exception cref="IOException">The file cannot be written or renamed.</exception>
    public static string WriteText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            writer.Write(text);
        });
    }

    /// <summary>Writes an image to <paramref name="path"/> atomically as a PNG file: the one place the library's <c>Save</c> methods write PNGs.</summary>
    /// <param name="path">The target file; an existing file is replaced.</param>
    /// <param name="image">The image; not disposed.</param>
    /// <returns>The full path written.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or has no folder.</exception>
    /// <exception cref="IOException">The file cannot be written or renamed.</exception>
    public static string WritePng(string path, Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Write(path, stream => image.SaveAsPng(stream));
    }

    /// <summary>
    /// Checks <paramref name="path"/>, renders the image (only then, so a bad path costs nothing), writes it as a PNG file
    /// atomically and disposes it: the one body of every picture type's <c>Save</c>.
    /// </summary>
    /// <param name="path">The target file; an existing file is replaced.</param>
    /// <param name="render">Renders the image; the image it returns is disposed here.</param>
    /// <returns>The full path written.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or white space.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static string WritePng(string path, Func<Image> render)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(render);
        using var image = render();
        return WritePng(path, image);
    }

    /// <summary>Writes <paramref name="path"/> atomically with the content <paramref name="write"/> puts in the stream.</summary>
    /// <param name="path">The target file; an existing file is replaced.</param>
    /// <param name="write">Writes the whole content to the stream it is given (a write-only, seekable file stream; do not dispose it).</param>
    /// <param name="createDirectory">Whether to create the target's folder when it does not exist.</param>
    /// <returns>The full path written.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or has no folder.</exception>
    /// <exception cref="IOException">The file cannot be written or renamed.</exception>
    public static string Write(string path, Action<Stream> write, bool createDirectory = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        if (createDirectory)
        {
            Directory.CreateDirectory(directory);
        }

        var temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, fullPath, overwrite: true);
            return fullPath;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
