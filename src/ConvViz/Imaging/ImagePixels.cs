// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;
using static TorchSharp.torch;

namespace ConvViz.Imaging;

/// <summary>
/// The decode → resize → tensor path shared by <see cref="ImageLoader"/> and the datasets (<c>ImageFolderDataset</c>).
/// Images are resized into interleaved bytes (height × width × loaded channels); those become planar float32 values
/// (<see cref="ToPlanar"/>, or warped on the way by the augmenter) and one [B, C, H, W] tensor per batch.
/// </summary>
internal static class ImagePixels
{
    /// <summary>Gets the number of interleaved byte channels decoded for a colour mode (grayscale is converted later, as Pillow does, from RGB).</summary>
    /// <param name="mode">The colour mode.</param>
    /// <returns>4 for RGBA, otherwise 3.</returns>
    public static int LoadedChannels(ColorMode mode) => mode == ColorMode.Rgba ? 4 : 3; // decoded before the grayscale fold

    /// <summary>Gets the size in bytes of one resized, interleaved image.</summary>
    /// <param name="preprocessing">The preprocessing.</param>
    /// <returns>Height × width × loaded channels.</returns>
    public static int BytesPerImage(ImagePreprocessing preprocessing) => preprocessing.TargetHeight * preprocessing.TargetWidth * LoadedChannels(preprocessing.ColorMode);

    /// <summary>Decodes image bytes and resizes them into <paramref name="destination"/>.</summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <param name="preprocessing">Target size, colour mode and interpolation.</param>
    /// <param name="decoding">Decoding limits.</param>
    /// <param name="destination">Receives <see cref="BytesPerImage"/> bytes.</param>
    /// <exception cref="InvalidImageFileException">The data cannot be decoded.</exception>
    public static void DecodeResized(byte[] data, string name, ImagePreprocessing preprocessing, ImageDecodingOptions decoding, Span<byte> destination)
    {
        if (preprocessing.ColorMode == ColorMode.Rgba)
        {
            using var image = SafeImageDecoder.Decode<Rgba32>(data, name, decoding);
            Resize(image, preprocessing, destination);
        }
        else
        {
            using var image = SafeImageDecoder.Decode<Rgb24>(data, name, decoding);
            Resize(image, preprocessing, destination);
        }
    }

    /// <summary>Resizes an image into interleaved bytes (Keras resizes only when the size differs).</summary>
    /// <typeparam name="TPixel">Rgb24 or Rgba32, matching <see cref="LoadedChannels"/>.</typeparam>
    /// <param name="image">The image; not modified.</param>
    /// <param name="preprocessing">Target size and interpolation.</param>
    /// <param name="destination">Receives <see cref="BytesPerImage"/> bytes.</param>
    public static void Resize<TPixel>(Image<TPixel> image, ImagePreprocessing preprocessing, Span<byte> destination)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var width = preprocessing.TargetWidth;
        var height = preprocessing.TargetHeight;
        var target = MemoryMarshal.Cast<byte, TPixel>(destination[..BytesPerImage(preprocessing)]);
        if (image.Width == width && image.Height == height)
        {
            image.CopyPixelDataTo(target);
            return;
        }

        if (preprocessing.Interpolation == Interpolation.Nearest)
        {
            ResizeNearest(image, width, height, target);
            return;
        }

        IResampler sampler = preprocessing.Interpolation == Interpolation.Bicubic ? KnownResamplers.Bicubic : KnownResamplers.Triangle;
        using var resized = image.Clone(ctx => ctx.Resize(new ResizeOptions { Size = new SixLabors.ImageSharp.Size(width, height), Sampler = sampler, Mode = ResizeMode.Stretch }));
        resized.CopyPixelDataTo(target);
    }

    /// <summary>Converts interleaved byte images to float32 [B, C, H, W] with values 0–255 (grayscale with Pillow's integer luma).</summary>
    /// <param name="pixels">B images of <see cref="BytesPerImage"/> bytes each.</param>
    /// <param name="count">The number of images B.</param>
    /// <param name="preprocessing">Target size and colour mode.</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    public static Tensor ToTensor(byte[] pixels, int count, ImagePreprocessing preprocessing)
    {
        // Managed, on the data worker's own thread: no libtorch intra-op threads compete with training.
        var bytesPerImage = BytesPerImage(preprocessing);
        var channels = preprocessing.Channels;
        var size = channels * preprocessing.TargetHeight * preprocessing.TargetWidth;
        var values = new float[(long)count * size];
        var luma = LumaScratch(preprocessing);
        for (var i = 0; i < count; i++)
        {
            var image = FoldColor(pixels.AsSpan(i * bytesPerImage, bytesPerImage), preprocessing, luma);
            ToPlanar(image, channels, values.AsSpan(i * size, size), scale: 1f);
        }

        return tensor(values, [count, channels, preprocessing.TargetHeight, preprocessing.TargetWidth]);
    }

    /// <summary>Gets a scratch buffer for <see cref="FoldColor"/>: one byte plane for grayscale, otherwise none.</summary>
    /// <param name="preprocessing">Target size and colour mode.</param>
    /// <returns>The buffer, or null when the colour mode needs no fold.</returns>
    public static byte[]? LumaScratch(ImagePreprocessing preprocessing) =>
        preprocessing.ColorMode == ColorMode.Grayscale ? new byte[preprocessing.TargetHeight * preprocessing.TargetWidth] : null;

    /// <summary>
    /// Gives one decoded image's pixels with the channels that reach the network, still interleaved: the loaded
    /// channels as they are, or for grayscale one plane of Pillow's <c>convert("L")</c> luma.
    /// </summary>
    /// <param name="image">One image of <see cref="BytesPerImage"/> bytes.</param>
    /// <param name="preprocessing">The colour mode and size.</param>
    /// <param name="luma">The scratch from <see cref="LumaScratch"/>.</param>
    /// <returns>H × W × <see cref="ImagePreprocessing.Channels"/> bytes (the image itself, or <paramref name="luma"/>).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per image: too rarely for tiering to optimise it in time
    public static ReadOnlySpan<byte> FoldColor(ReadOnlySpan<byte> image, ImagePreprocessing preprocessing, byte[]? luma)
    {
        if (preprocessing.ColorMode != ColorMode.Grayscale)
        {
            return image;
        }

        // Pillow's convert("L"): (R·19595 + G·38470 + B·7471 + 0x8000) >> 16, exactly.
        var plane = luma!.AsSpan();
        for (var p = 0; p < plane.Length; p++)
        {
            var rgb = image.Slice(p * 3, 3);
            plane[p] = (byte)(((rgb[0] * 19595) + (rgb[1] * 38470) + (rgb[2] * 7471) + 0x8000) >> 16);
        }

        return plane;
    }

    /// <summary>De-interleaves one image into planar float32, multiplied by <paramref name="scale"/> in float32.</summary>
    /// <param name="image">H × W × <paramref name="channels"/> bytes.</param>
    /// <param name="channels">The channel count C.</param>
    /// <param name="destination">Receives C × H × W values.</param>
    /// <param name="scale">The rescale factor (1 for pixel units); each byte times it, rounded once to float32.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per image: too rarely for tiering to optimise it in time
    public static void ToPlanar(ReadOnlySpan<byte> image, int channels, Span<float> destination, float scale)
    {
        var plane = image.Length / channels;
        if (channels == 3)
        {
            var red = destination[..plane];
            var green = destination.Slice(plane, plane);
            var blue = destination.Slice(2 * plane, plane);
            var rgb = image[..(3 * plane)];
            for (var p = 0; p < plane; p++)
            {
                red[p] = rgb[3 * p] * scale;
                green[p] = rgb[(3 * p) + 1] * scale;
                blue[p] = rgb[(3 * p) + 2] * scale;
            }

            return;
        }

        for (var c = 0; c < channels; c++)
        {
            var channel = destination.Slice(c * plane, plane);
            for (var p = 0; p < plane; p++)
            {
                channel[p] = image[(p * channels) + c] * scale;
            }
        }
    }

    /// <summary>Pillow NEAREST (see <see cref="NearestIndices"/>), with bulk row access.</summary>
    private static void ResizeNearest<TPixel>(Image<TPixel> image, int width, int height, Span<TPixel> target)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var columns = NearestIndices(image.Width, width);
        var rows = NearestIndices(image.Height, height);
        for (var y = 0; y < height; y++)
        {
            var row = target.Slice(y * width, width);
            if (y > 0 && rows[y] == rows[y - 1])
            {
                // Upscaling repeats source rows: copy the finished row in bulk.
                target.Slice((y - 1) * width, width).CopyTo(row);
                continue;
            }

            var source = image.DangerousGetPixelRowMemory(rows[y]).Span;
            if (source.Length == width)
            {
                source.CopyTo(row);
                continue;
            }

            for (var x = 0; x < row.Length; x++)
            {
                row[x] = source[columns[x]];
            }
        }
    }

    /// <summary>
    /// Computes Pillow's nearest-neighbour source indices exactly: Pillow (<c>ImagingScaleAffine</c>) starts at half a
    /// scale step and adds the scale once per output pixel in double precision, truncating each sum. The rounding
    /// of that running sum picks a different pixel than the closed form floor((i + 0.5) · src / dst) for many
    /// common sizes (500 → 150: 26 of 150 columns).
    /// </summary>
    /// <param name="source">The source length.</param>
    /// <param name="destination">The destination length.</param>
    /// <returns>One source index per destination index.</returns>
    internal static int[] NearestIndices(int source, int destination)
    {
        var scale = (double)source / destination;
        var indices = new int[destination];
        var position = scale * 0.5;
        for (var i = 0; i < destination; i++)
        {
            // The running sum stays below the source length; the clamp only guards against the last step's rounding.
            indices[i] = Math.Min(source - 1, (int)position);
            position += scale;
        }

        return indices;
    }
}
