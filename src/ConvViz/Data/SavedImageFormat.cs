// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Data;

/// <summary>The file format of augmented images written by <see cref="ImageFolderDatasetOptions.SaveToDirectory"/> (Keras <c>save_format</c>).</summary>
public enum SavedImageFormat
{
    /// <summary>PNG, <c>.png</c> (Keras' default).</summary>
    Png,

    /// <summary>JPEG, <c>.jpeg</c> (alpha is dropped).</summary>
    Jpeg,
}
