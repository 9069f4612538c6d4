// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>Converts between ImageSharp images and channels-first tensors (row 0 is the top row everywhere).</summary>
internal static class ImageTensors
{
    /// <summary>Converts an RGB image to a float32 tensor [1, 3, H, W] with raw pixel values 0..255.</summary>
    public static Tensor FromImage(Image<Rgb24> image)
    {
        var h = image.Height;
        var w = image.Width;
        var pixels = new Rgb24[h * w];
        image.CopyPixelDataTo(pixels);
        var data = new float[3 * h * w];
        var plane = h * w;
        for (var i = 0; i < plane; i++)
        {
            data[i] = pixels[i].R;
            data[plane + i] = pixels[i].G;
            data[(2 * plane) + i] = pixels[i].B;
        }

        return tensor(data, [1, 3, h, w]);
    }

    /// <summary>Converts an image to a model-ready batch [1, C, H, W] with the model's preprocessing.</summary>
    public static Tensor ToModelInput(Model model, Image<Rgb24> image, ImagePreprocessing preprocessing, string paramName)
    {
        ArgumentNullException.ThrowIfNull(image, paramName);
        ArgumentNullException.ThrowIfNull(preprocessing);
        var shape = model.InputShape;
        if (image.Width != shape.Width || image.Height != shape.Height)
        {
            throw new ArgumentException(
                $"The image is {image.Width}×{image.Height} but the model expects {shape.Width}×{shape.Height} (Keras {shape}). " +
                "Load it through the data pipeline, which resizes with the training-time interpolation, or resize it first.",
                paramName);
        }

        if (preprocessing.Channels != shape.Channels)
        {
            throw new ArgumentException(
                $"The preprocessing produces {preprocessing.Channels} channels ({preprocessing.ColorMode}) but the model expects {shape.Channels}.",
                nameof(preprocessing));
        }

        using var scope = NewDisposeScope();
        var raw = FromImage(image);
        if (shape.Channels == 1)
        {
            // ITU-R 601-2 luma, as PIL's convert('L') used by Keras' grayscale loading.
            raw = raw[.., 0..1].mul(0.299).add(raw[.., 1..2].mul(0.587)).add(raw[.., 2..3].mul(0.114));
        }
        else if (shape.Channels != 3)
        {
            throw new ArgumentException($"Images can be fed to models with 1 or 3 input channels; this model has {shape.Channels}.", paramName);
        }

        return preprocessing.Standardize(raw).MoveToOuterDisposeScope();
    }
}
