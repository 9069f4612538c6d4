// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz;

/// <summary>
/// Thrown by the first ConvViz call that needs libtorch when TorchSharp's native backend cannot be loaded,
/// usually because the application references no backend package, or because the Linux host's libstdc++ is
/// older than GCC 13's. The message names the package to add or the platform fix.
/// </summary>
public sealed class NativeBackendMissingException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NativeBackendMissingException()
        : base(NativeBackend.BuildMessage(null))
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public NativeBackendMissingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the loader error that caused it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The original loader error.</param>
    public NativeBackendMissingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
