// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Imaging;

/// <summary>Why an image file could not be used.</summary>
public enum ImageFileProblem
{
    /// <summary>The file is empty (zero bytes).</summary>
    Empty,

    /// <summary>The file is larger than <see cref="ImageDecodingOptions.MaxFileSizeBytes"/>.</summary>
    FileTooLarge,

    /// <summary>The header declares more pixels (or a longer side) than the decoding limits allow: a possible decompression bomb.</summary>
    TooManyPixels,

    /// <summary>The content is not an image in any enabled format.</summary>
    UnknownFormat,

    /// <summary>The content is an image format that is recognised but not enabled in <see cref="ImageDecodingOptions.Formats"/>.</summary>
    FormatNotEnabled,

    /// <summary>The file ends before the image data is complete.</summary>
    Truncated,

    /// <summary>The image data is corrupt and cannot be decoded.</summary>
    Corrupt,

    /// <summary>The file cannot be read (missing, permissions, I/O error).</summary>
    Unreadable,

    /// <summary>
    /// The path is not a regular file (or a link to one) but a named pipe (FIFO), a character or block device or a
    /// socket. It is refused by its type before it is opened: opening a FIFO waits for a writer, possibly forever.
    /// </summary>
    NotARegularFile,
}
