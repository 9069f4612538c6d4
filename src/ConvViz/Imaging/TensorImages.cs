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
    /// <returns>An RGB image; the caller owns it. A constant tensor gives a black image, as Keras' <c>array_to_img</c> (and <see cref="WriteFiles"/>).</returns>
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
        byte At(int index) => hi > lo ? (byte)Math.Round(Math.Clamp((values[index] - lo) * inverse, 0, 255)) : (byte)0;
        var plane = h * w;
        var pixels = new Rgb24[plane];
        for (var i = 0; i < plane; i++)
        {
            pixels[i] = channels == 3 ? new Rgb24(At(i), At(plane + i), At((2 * plane) + i)) : new Rgb24(At(i), At(i), At(i));
        }

        return Image.LoadPixelData<Rgb24>(pixels, w, h);
    }

    /// <summary>
    /// Writes each image of a batch [N, C, H, W] min–max scaled to 0–255 (Keras' <c>array_to_img(scale = TRUE)</c>, truncated
    /// to bytes; a constant image is black, the one rule for constant images) as PNG or JPEG.
    /// </summary>
    internal static IReadOnlyList<string> WriteFiles(Tensor images, string directory, IReadOnlyList<string> fileNames, SavedImageFormat format, bool overwrite)
    {
        var channels = (int)images.shape[1];
        if (channels is not (1 or 3 or 4))
        {
            throw new ArgumentException($"Only 1, 3 or 4 channels can be saved as PNG; got {channels}.", nameof(images));
        }

        Directory.CreateDirectory(directory);
        using var scope = NewDisposeScope();
        var min = images.amin([1, 2, 3], keepdim: true);
        var scaled = images.sub(min);
        var max = scaled.amax([1, 2, 3], keepdim: true);
        scaled = scaled.div(max.where(max.ne(Scalars.Zero), tensor(1f))).mul(Scalars.ByteMax);
        var bytes = scaled.clamp(Scalars.Zero, Scalars.ByteMax).to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous();
        var batch = (int)images.shape[0];
        var height = (int)images.shape[2];
        var width = (int)images.shape[3];
        var all = bytes.data<byte>().ToArray();
        var perImage = height * width * channels;
        var paths = new List<string>(batch);
        for (var i = 0; i < batch; i++)
        {
            var path = Path.Combine(directory, fileNames[i]);
            var span = all.AsSpan(i * perImage, perImage);
            using var file = new FileStream(path, overwrite ? FileMode.Create : FileMode.CreateNew, FileAccess.Write);
            switch (channels)
            {
                case 1:
                    using (var image = Image.LoadPixelData<L8>(span, width, height))
                    {
                        Save(image, file, format);
                    }

                    break;
                case 3:
                    using (var image = Image.LoadPixelData<Rgb24>(span, width, height))
                    {
                        Save(image, file, format);
                    }

                    break;
                default:
                    using (var image = Image.LoadPixelData<Rgba32>(span, width, height))
                    {
                        Save(image, file, format);
                    }

                    break;
            }

            paths.Add(path);
        }

        return paths;
    }

    private static void Save(Image image, Stream file, SavedImageFormat format)
    {
        if (format == SavedImageFormat.Jpeg)
        {
            image.SaveAsJpeg(file);
        }
        else
        {
            image.SaveAsPng(file);
        }
    }
}
