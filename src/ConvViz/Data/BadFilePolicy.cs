// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;

namespace ConvViz.Data;

/// <summary>What a dataset does with an image file it cannot use.</summary>
public enum BadFilePolicy
{
    /// <summary>Throw an <see cref="InvalidImageFileException"/> naming the file (the default, like Keras).</summary>
    Throw,

    /// <summary>Leave the file out, log a warning, and list it in the dataset's skipped files; the batch shrinks by one.</summary>
    Skip,
}
