// Copyright (c) ConvViz contributors. Licensed under the MIT License.


namespace ConvViz.Imaging;

/// <summary>The file format of augmented images written by <c>ImageFolderDatasetOptions.SaveToDirectory</c> (Keras <c>save_format</c>).</summary>
public enum SavedImageFormat
{
    /// <summary>PNG, <c>.png</c> (Keras' default).</summary>
    Png,

    /// <summary>JPEG, <c>.jpeg</c> (alpha is dropped).</summary>
    Jpeg,
}
