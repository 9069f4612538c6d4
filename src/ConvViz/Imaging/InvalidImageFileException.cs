// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Imaging;

/// <summary>An image file cannot be used: it is empty, truncated, corrupt, too large or not an enabled format.</summary>
public sealed class InvalidImageFileException : IOException
{
    /// <summary>Creates the exception.</summary>
    public InvalidImageFileException()
        : this("The image file cannot be used.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public InvalidImageFileException(string message)
        : base(message)
    {
        FilePath = string.Empty;
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public InvalidImageFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = string.Empty;
    }

    /// <summary>Creates the exception for a file.</summary>
    /// <param name="filePath">The file (or stream name) that failed.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="detail">A sentence describing the problem and the fix.</param>
    /// <param name="innerException">The decoder's exception, if any.</param>
    public InvalidImageFileException(string filePath, ImageFileProblem problem, string detail, Exception? innerException = null)
        : base($"Cannot use image '{filePath}': {detail}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>Gets the file (or stream name) that failed.</summary>
    public string FilePath { get; }

    /// <summary>Gets what is wrong with the file.</summary>
    public ImageFileProblem Problem { get; } = ImageFileProblem.Corrupt;
}
