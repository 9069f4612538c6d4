// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConvViz.Models;

/// <summary>
/// Options of <see cref="Model.Load(string, ModelLoadOptions)"/>: the format, the limits applied before anything is
/// allocated, and the preprocessing and class names to set on the loaded model (Keras files do not carry them).
/// </summary>
public sealed record ModelLoadOptions
{
    /// <summary>Gets the largest file accepted, in bytes; larger files are rejected before they are read.</summary>
    /// <value>The default value is 1 GiB.</value>
    public long MaxFileSizeBytes { get; init { ArgumentOutOfRangeException.ThrowIfLessThan(value, 8L, nameof(MaxFileSizeBytes)); field = value; } } = 1L << 30;

    /// <summary>Gets the largest JSON header accepted, in bytes.</summary>
    /// <value>The default value is 16 MiB (ConvViz headers take a few kilobytes).</value>
    public int MaxHeaderBytes { get; init { ArgumentOutOfRangeException.ThrowIfLessThan(value, 2, nameof(MaxHeaderBytes)); field = value; } } = 16 << 20;

    /// <summary>Gets the format to read; <see cref="ModelFileFormat.Auto"/> recognises it by the file's content.</summary>
    /// <value>The default value is <see cref="ModelFileFormat.Auto"/>.</value>
    public ModelFileFormat Format { get; init { if (!Enum.IsDefined(value)) { throw new ArgumentOutOfRangeException(nameof(Format), value, "Unknown model file format."); } field = value; } }

    /// <summary>
    /// Gets the preprocessing to set on the loaded model (<see cref="Model.Preprocessing"/>), replacing the file's; for
    /// Keras files, the <c>image_data_generator</c> settings used in training (for example <c>Rescale = 1 / 255.0</c>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the file's preprocessing, if any, is kept.</value>
    public ImagePreprocessing? Preprocessing { get; init; }

    /// <summary>Gets the class names to set on the loaded model (<see cref="Model.ClassNames"/>), replacing the file's.</summary>
    /// <value>The default value is <see langword="null"/>: the file's class names, if any, are kept.</value>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// Gets the logger that hears what a load could not carry over, for example the compile settings of a Keras file
    /// whose loss or optimizer ConvViz does not have (the model then loads uncompiled).
    /// </summary>
    /// <value>The default value is <see cref="NullLogger.Instance"/>.</value>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    public ILogger Logger { get; init { ArgumentNullException.ThrowIfNull(value); field = value; } } = NullLogger.Instance;
}
