// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Imaging;

/// <summary>
/// Loads one image as model input (Keras <c>image_load</c> + <c>image_to_array</c> + <c>array_reshape</c>):
/// safe decoding, resize with the preprocessing's interpolation, colour conversion, then
/// <see cref="ImagePreprocessing.Standardize"/>. Use the training dataset's <c>Preprocessing</c>
/// so a single image is prepared exactly as the training images were.
/// </summary>
public static class ImageLoader
{
    /// <summary>Loads an image file as a standardised float32 tensor [1, C, H, W].</summary>
    /// <param name="path">The image file.</param>
    /// <param name="preprocessing">The preprocessing (target size, colour mode, interpolation, standardisation).</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    /// <exception cref="InvalidImageFileException">The file is missing, unreadable, empty, too large, truncated, corrupt or not an enabled format.</exception>
    public static Tensor Load(string path, ImagePreprocessing preprocessing) => Load(path, preprocessing, ImageDecodingOptions.Default);

    /// <summary>Loads an image file as a standardised float32 tensor [1, C, H, W].</summary>
    /// <param name="path">The image file.</param>
    /// <param name="preprocessing">The preprocessing (target size, colour mode, interpolation, standardisation).</param>
    /// <param name="decoding">Formats and limits for decoding.</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    /// <exception cref="InvalidImageFileException">The file is missing, unreadable, empty, too large, truncated, corrupt or not an enabled format.</exception>
    public static Tensor Load(string path, ImagePreprocessing preprocessing, ImageDecodingOptions decoding)
    {
        using var pixels = LoadPixels(path, preprocessing, decoding);
        return preprocessing.Standardize(pixels);
    }

    /// <summary>Loads an image from a stream as a standardised float32 tensor [1, C, H, W].</summary>
    /// <param name="stream">The encoded image, read to its end; not disposed.</param>
    /// <param name="preprocessing">The preprocessing (target size, colour mode, interpolation, standardisation).</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    /// <exception cref="InvalidImageFileException">The data is empty, too large, truncated, corrupt or not an enabled format.</exception>
    public static Tensor Load(Stream stream, ImagePreprocessing preprocessing) => Load(stream, preprocessing, ImageDecodingOptions.Default);

    /// <summary>Loads an image from a stream as a standardised float32 tensor [1, C, H, W].</summary>
    /// <param name="stream">The encoded image, read to its end; not disposed.</param>
    /// <param name="preprocessing">The preprocessing (target size, colour mode, interpolation, standardisation).</param>
    /// <param name="decoding">Formats and limits for decoding.</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    /// <exception cref="InvalidImageFileException">The data is empty, too large, truncated, corrupt or not an enabled format.</exception>
    public static Tensor Load(Stream stream, ImagePreprocessing preprocessing, ImageDecodingOptions decoding)
    {
        using var pixels = LoadPixels(stream, preprocessing, decoding);
        return preprocessing.Standardize(pixels);
    }

    /// <summary>Converts a decoded image to a standardised float32 tensor [1, C, H, W].</summary>
    /// <param name="image">The image; not modified or disposed.</param>
    /// <param name="preprocessing">The preprocessing (target size, colour mode, interpolation, standardisation).</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    public static Tensor FromImage(Image<Rgb24> image, ImagePreprocessing preprocessing)
    {
        using var pixels = PixelsFromImage(image, preprocessing);
        return preprocessing.Standardize(pixels);
    }

    /// <summary>
    /// Loads an image file resized and colour-converted but not standardised: float32 [1, C, H, W] with values 0–255
    /// (what Keras' <c>image_to_array</c> returns), for display next to model input.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="preprocessing">Target size, colour mode and interpolation (standardisation is not applied).</param>
    /// <param name="decoding">Formats and limits for decoding.</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    /// <exception cref="InvalidImageFileException">The file cannot be used.</exception>
    public static Tensor LoadPixels(string path, ImagePreprocessing preprocessing, ImageDecodingOptions decoding)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(decoding);
        var data = SafeImageDecoder.ReadFile(path, decoding);
        return Convert(data, path, preprocessing, decoding);
    }

    /// <summary>
    /// Loads an image from a stream resized and colour-converted but not standardised: float32 [1, C, H, W] with values 0–255.
    /// </summary>
    /// <param name="stream">The encoded image, read to its end; not disposed.</param>
    /// <param name="preprocessing">Target size, colour mode and interpolation (standardisation is not applied).</param>
    /// <param name="decoding">Formats and limits for decoding.</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    /// <exception cref="InvalidImageFileException">The data cannot be used.</exception>
    public static Tensor LoadPixels(Stream stream, ImagePreprocessing preprocessing, ImageDecodingOptions decoding)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(decoding);
        var name = stream is FileStream file ? file.Name : "<stream>";
        var data = SafeImageDecoder.ReadBounded(stream, name, decoding);
        return Convert(data, name, preprocessing, decoding);
    }

    /// <summary>Converts a decoded image to float32 [1, C, H, W] with values 0–255, resized and colour-converted but not standardised.</summary>
    /// <param name="image">The image; not modified or disposed.</param>
    /// <param name="preprocessing">Target size, colour mode and interpolation (standardisation is not applied).</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    public static Tensor PixelsFromImage(Image<Rgb24> image, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(preprocessing);
        NativeBackend.EnsureLoaded();
        var buffer = new byte[ImagePixels.BytesPerImage(preprocessing)];
        if (preprocessing.ColorMode == ColorMode.Rgba)
        {
            // An RGB image has no alpha: Pillow's convert("RGBA") makes it opaque.
            using var rgba = image.CloneAs<Rgba32>();
            ImagePixels.Resize(rgba, preprocessing, buffer);
        }
        else
        {
            ImagePixels.Resize(image, preprocessing, buffer);
        }

        return ImagePixels.ToTensor(buffer, 1, preprocessing);
    }

    private static Tensor Convert(byte[] data, string name, ImagePreprocessing preprocessing, ImageDecodingOptions decoding)
    {
        NativeBackend.EnsureLoaded();
        var buffer = new byte[ImagePixels.BytesPerImage(preprocessing)];
        ImagePixels.DecodeResized(data, name, preprocessing, decoding, buffer);
        return ImagePixels.ToTensor(buffer, 1, preprocessing);
    }
}
