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

    /// <summary>
    /// Loads an image file as the model sees it, for display: decoded, resized and colour-converted exactly as
    /// <see cref="Load(string, ImagePreprocessing)"/> does, but before rescaling and standardisation, as an RGB image
    /// (grey for a grayscale model; the alpha channel of an RGBA model is dropped). Keras users write
    /// <c>image_load(path, target_size = c(150, 150))</c> and plot it.
    /// </summary>
    /// <param name="path">The image file (a format of <see cref="ImageDecodingOptions.Default"/>: JPEG, PNG, BMP or netpbm).</param>
    /// <param name="preprocessing">Target size, colour mode and interpolation (standardisation is not applied).</param>
    /// <returns>An image of the preprocessing's target size; the caller owns (disposes) it.</returns>
    /// <exception cref="InvalidImageFileException">The file cannot be used.</exception>
    public static Image<Rgb24> LoadForDisplay(string path, ImagePreprocessing preprocessing) =>
        LoadForDisplay(path, preprocessing, ImageDecodingOptions.Default);

    /// <summary>Loads an image file as the model sees it, for display, before rescaling and standardisation (see <see cref="LoadForDisplay(string, ImagePreprocessing)"/>).</summary>
    /// <param name="path">The image file.</param>
    /// <param name="preprocessing">Target size, colour mode and interpolation (standardisation is not applied).</param>
    /// <param name="decoding">Formats and limits for decoding.</param>
    /// <returns>An image of the preprocessing's target size; the caller owns (disposes) it.</returns>
    /// <exception cref="InvalidImageFileException">The file cannot be used.</exception>
    public static Image<Rgb24> LoadForDisplay(string path, ImagePreprocessing preprocessing, ImageDecodingOptions decoding)
    {
        using var scope = NewDisposeScope();
        var pixels = LoadPixels(path, preprocessing, decoding);
        if (pixels.shape[1] == 4)
        {
            pixels = pixels.narrow(1, 0, 3);
        }

        return TensorImages.ToImage(pixels, 0, 255);
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
