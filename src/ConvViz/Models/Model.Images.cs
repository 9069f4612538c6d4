// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Models;

public sealed partial class Model
{
    /// <summary>
    /// Gets the preprocessing used for single images: <see cref="Preprocessing"/> when the model knows how it was
    /// trained, otherwise a plain resize to <see cref="InputShape"/> (nearest neighbour, pixel values 0–255, colour mode
    /// from the channel count) with no standardisation.
    /// </summary>
    /// <returns>The preprocessing; never <see langword="null"/>.</returns>
    /// <exception cref="InvalidOperationException">The model takes vectors, not images.</exception>
    public ImagePreprocessing GetImagePreprocessing()
    {
        ThrowIfTakesVectors("GetImagePreprocessing");
        return Preprocessing ?? new ImagePreprocessing
        {
            TargetHeight = InputShape.Height,
            TargetWidth = InputShape.Width,
            ColorMode = ColorModes.FromChannels(InputShape.Channels)
                ?? throw new InvalidOperationException($"A model with {InputShape.Channels} input channels cannot take images (colour modes have 1, 3 or 4 channels); pass tensors instead."),
        };
    }

    /// <summary>
    /// Loads an image file as model input with the model's training-time preprocessing (<see cref="GetImagePreprocessing"/>),
    /// like Keras' <c>image_load</c> + <c>image_to_array</c> + the generator's standardisation.
    /// </summary>
    /// <param name="imagePath">An image file in a format of <see cref="ImageDecodingOptions.Default"/> (JPEG, PNG, BMP or netpbm).</param>
    /// <returns>A float32 tensor [1, C, H, W]; the caller owns it.</returns>
    /// <remarks>
    /// When the model has no <see cref="Preprocessing"/>, the first image it loads logs a warning through
    /// <see cref="ConvVizRuntime.Logger"/> (once per model): its pixels stay 0–255, which is wrong for a network trained on rescaled or
    /// standardised images. <c>Fit</c> sets the preprocessing from its training data; otherwise set it yourself.
    /// </remarks>
    /// <exception cref="InvalidImageFileException">The file is missing, unreadable, corrupt, too large or not an enabled format.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors, not images.</exception>
    public Tensor LoadImage(string imagePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imagePath);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfTakesVectors("LoadImage");
        NativeBackend.EnsureLoaded();
        if (Preprocessing is null && Interlocked.Exchange(ref _warnedNoPreprocessing, 1) == 0)
        {
            ModelLog.NoPreprocessing(RuntimeSettings.Logger, InputShape.ToString());
        }

        return ImageLoader.Load(imagePath, GetImagePreprocessing());
    }

    /// <summary>
    /// Loads an image file as this model sees it, for display: resized and colour-converted with the model's
    /// preprocessing (<see cref="GetImagePreprocessing"/>), before rescaling and standardisation, as an RGB image of the
    /// model's input size. Show it next to <see cref="LoadImage"/>'s tensor, or pass it as the report's input image.
    /// </summary>
    /// <param name="imagePath">An image file in a format of <see cref="ImageDecodingOptions.Default"/> (JPEG, PNG, BMP or netpbm).</param>
    /// <returns>An image of the model's input size; the caller owns (disposes) it.</returns>
    /// <exception cref="InvalidImageFileException">The file is missing, unreadable, corrupt, too large or not an enabled format.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors, not images.</exception>
    public Image<Rgb24> LoadImageForDisplay(string imagePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imagePath);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfTakesVectors("LoadImageForDisplay");
        NativeBackend.EnsureLoaded();
        return ImageLoader.LoadForDisplay(imagePath, GetImagePreprocessing());
    }

    private int _warnedNoPreprocessing;

    /// <summary>Predicts the output for one image file, prepared with the model's training-time preprocessing.</summary>
    /// <param name="imagePath">An image file in a format of <see cref="ImageDecodingOptions.Default"/> (JPEG, PNG, BMP or netpbm).</param>
    /// <returns>The output [1, units] (probabilities for a softmax head), on the CPU; the caller owns it.</returns>
    /// <exception cref="InvalidImageFileException">The file cannot be loaded.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors, not images.</exception>
    public Tensor PredictImage(string imagePath)
    {
        ThrowIfTakesVectors("PredictImage");
        using var input = LoadImage(imagePath);
        return Predict(input);
    }

    /// <summary>Predicts the class of one image file, with the name from <see cref="ClassNames"/> when known.</summary>
    /// <param name="imagePath">An image file in a format of <see cref="ImageDecodingOptions.Default"/> (JPEG, PNG, BMP or netpbm).</param>
    /// <returns>The predicted class and its probability.</returns>
    /// <exception cref="InvalidImageFileException">The file cannot be loaded.</exception>
    /// <exception cref="InvalidOperationException">The model's output is not flat, or the model takes vectors, not images.</exception>
    public ClassPrediction PredictImageClass(string imagePath)
    {
        ThrowIfTakesVectors("PredictImageClass");
        using var input = LoadImage(imagePath);
        return PredictClasses(input)[0];
    }
}
