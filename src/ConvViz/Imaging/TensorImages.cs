// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Imaging;

/// <summary>Turns image tensors (model inputs, activation-maximisation results) into viewable RGB images.</summary>
public static class TensorImages
{
    /// <summary>
    /// Converts an image tensor [C, H, W] or [1, C, H, W] with 1 or 3 channels to an RGB image, mapping
    /// [<paramref name="min"/>, <paramref name="max"/>] to 0..255 (values outside are clipped). Row 0 is the top row.
    /// </summary>
    /// <param name="image">The tensor; not disposed.</param>
    /// <param name="min">The value drawn black; the tensor's minimum if <see langword="null"/>.</param>
    /// <param name="max">The value drawn white; the tensor's maximum if <see langword="null"/>.</param>
    /// <returns>An RGB image; the caller owns it. A constant tensor gives a mid-grey image.</returns>
    /// <exception cref="ArgumentException">The tensor is not an image with 1 or 3 channels.</exception>
    public static Image<Rgb24> ToImage(Tensor image, double? min = null, double? max = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        NativeBackend.EnsureLoaded();
        var s = image.shape;
        var chw = s.Length == 4 && s[0] == 1 ? s[1..] : s;
        if (chw.Length != 3 || chw[0] is not (1 or 3))
        {
            throw new ArgumentException($"Expected an image [C, H, W] or [1, C, H, W] with 1 or 3 channels; got [{string.Join(", ", s)}].", nameof(image));
        }

        var values = TensorData.ToArray(image);
        var channels = (int)chw[0];
        var h = (int)chw[1];
        var w = (int)chw[2];
        var lo = min ?? values.Min();
        var hi = max ?? values.Max();
        var inverse = hi > lo ? 255.0 / (hi - lo) : 0.0;
        byte At(int index) => hi > lo ? (byte)Math.Round(Math.Clamp((values[index] - lo) * inverse, 0, 255)) : (byte)128;
        var plane = h * w;
        var pixels = new Rgb24[plane];
        for (var i = 0; i < plane; i++)
        {
            pixels[i] = channels == 3 ? new Rgb24(At(i), At(plane + i), At((2 * plane) + i)) : new Rgb24(At(i), At(i), At(i));
        }

        return Image.LoadPixelData<Rgb24>(pixels, w, h);
    }
}
