// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Visualization;

/// <summary>
/// Draws heatmaps (Grad-CAM, saliency) on their own or blended over an image: the model input, or the user's photo at
/// its own resolution and aspect ratio.
/// </summary>
/// <remarks>
/// The model sees a photo squashed to its input size (<see cref="ImagePreprocessing"/> resizes the whole photo, with no
/// crop or padding), so a heatmap computed at the input size (say 150×150) maps back onto the photo (say 451×300) by
/// stretching it over the whole photo. The stretch is a bilinear resize with pixel centres aligned
/// (<c>align_corners = false</c>), the same coordinate mapping the squash used, so the hot region lands where the
/// evidence is in the photo.
/// </remarks>
public static class HeatmapOverlay
{
    /// <summary>
    /// Blends a heatmap over an image of any size: the model input, or the original photo. A heatmap of another size
    /// is stretched to the image bilinearly (see the remarks of <see cref="HeatmapOverlay"/>).
    /// </summary>
    /// <param name="image">The image shown under the heatmap, such as the photo the model input was made from; not modified or disposed.</param>
    /// <param name="heatmap">A heatmap [H, W] (or [1, H, W]) with values in [0, 1], such as the <see cref="AttributionResult.Maps"/> of a single image from <see cref="GradCam.Compute(Models.Model, Tensor, int, GradCamOptions?, CancellationToken)"/>; not disposed.</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <returns>A new image of the input image's size; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The heatmap is not two-dimensional.</exception>
    public static Image<Rgb24> Render(Image<Rgb24> image, Tensor heatmap, HeatmapOverlayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new HeatmapOverlayOptions();
        var values = ReadHeatmap(heatmap, image.Height, image.Width);
        var table = ColormapTables.Get(options.Colormap);
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        var alpha = options.Alpha;
        for (var i = 0; i < pixels.Length; i++)
        {
            var heat = ColormapTables.Map(table, values[i]);
            var p = pixels[i];
            pixels[i] = new Rgb24(Blend(p.R, heat.R, alpha), Blend(p.G, heat.G, alpha), Blend(p.B, heat.B, alpha));
        }

        return Image.LoadPixelData<Rgb24>(pixels, image.Width, image.Height);
    }

    /// <summary>
    /// Loads a photo at its full resolution and blends a heatmap over it, stretched bilinearly from the model's input
    /// size. The photo is decoded with the same safe decoder and limits as <see cref="ImageLoader"/>, so its pixels are
    /// the ones the model input was made from.
    /// </summary>
    /// <param name="photoPath">The photo the heatmap's model input was loaded from (a format of <see cref="ImageDecodingOptions.Default"/>: JPEG, PNG, BMP or netpbm).</param>
    /// <param name="heatmap">A heatmap [H, W] (or [1, H, W]) with values in [0, 1] at the model's input size; not disposed.</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <returns>A new image of the photo's size; the caller owns it.</returns>
    /// <exception cref="InvalidImageFileException">The photo is missing, unreadable, too large, truncated, corrupt or not an enabled format.</exception>
    /// <exception cref="ArgumentException">The heatmap is not two-dimensional.</exception>
    public static Image<Rgb24> RenderOnPhoto(string photoPath, Tensor heatmap, HeatmapOverlayOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(photoPath);
        ArgumentNullException.ThrowIfNull(heatmap);
        _ = Size(heatmap);
        var decoding = ImageDecodingOptions.Default;
        var data = SafeImageDecoder.ReadFile(photoPath, decoding);
        using var photo = SafeImageDecoder.Decode<Rgb24>(data, photoPath, decoding);
        return Render(photo, heatmap, options);
    }

    /// <summary>Draws a heatmap alone, values in [0, 1] mapped through a colormap, optionally upscaled.</summary>
    /// <param name="heatmap">A heatmap [H, W] (or [1, H, W]) with values in [0, 1]; not disposed.</param>
    /// <param name="colormap">The colour scale.</param>
    /// <param name="scale">The integer upscaling factor (nearest neighbour).</param>
    /// <returns>An image of (H·scale)×(W·scale); the caller owns it.</returns>
    /// <exception cref="ArgumentException">The heatmap is not two-dimensional.</exception>
    public static Image<Rgb24> RenderHeatmap(Tensor heatmap, Colormap colormap = Colormap.Jet, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(heatmap);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, 64);
        var (h, w) = Size(heatmap);
        var values = ReadHeatmap(heatmap, h, w);
        var table = ColormapTables.Get(colormap);
        var canvas = new TileCanvas(1, h, w, scale, 1, 0, colorStrip: false);
        var tile = new Rgb24[h * w];
        for (var i = 0; i < tile.Length; i++)
        {
            tile[i] = ColormapTables.Map(table, values[i]);
        }

        canvas.DrawTile(0, tile);
        return canvas.ToImage();
    }

    /// <summary>Blends a heatmap over an image as <see cref="Render"/> does and writes the result as a PNG file.</summary>
    /// <param name="image">The image shown under the heatmap; not modified or disposed.</param>
    /// <param name="heatmap">A heatmap [H, W] (or [1, H, W]) with values in [0, 1]; not disposed.</param>
    /// <param name="path">The PNG file to create or overwrite (written atomically).</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The heatmap is not two-dimensional.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(Image<Rgb24> image, Tensor heatmap, string path, HeatmapOverlayOptions? options = null)
    {
        AtomicFile.WritePng(path, () => Render(image, heatmap, options));
    }

    /// <summary>Blends a heatmap over a photo at its full resolution as <see cref="RenderOnPhoto"/> does and writes the result as a PNG file.</summary>
    /// <param name="photoPath">The photo the heatmap's model input was loaded from.</param>
    /// <param name="heatmap">A heatmap [H, W] (or [1, H, W]) with values in [0, 1] at the model's input size; not disposed.</param>
    /// <param name="path">The PNG file to create or overwrite (written atomically).</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <exception cref="InvalidImageFileException">The photo cannot be loaded.</exception>
    /// <exception cref="ArgumentException">The heatmap is not two-dimensional.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void SaveOnPhoto(string photoPath, Tensor heatmap, string path, HeatmapOverlayOptions? options = null)
    {
        AtomicFile.WritePng(path, () => RenderOnPhoto(photoPath, heatmap, options));
    }

    /// <summary>Draws a heatmap alone as <see cref="RenderHeatmap"/> does and writes it as a PNG file.</summary>
    /// <param name="heatmap">A heatmap [H, W] (or [1, H, W]) with values in [0, 1]; not disposed.</param>
    /// <param name="path">The PNG file to create or overwrite (written atomically).</param>
    /// <param name="colormap">The colour scale.</param>
    /// <param name="scale">The integer upscaling factor (nearest neighbour).</param>
    /// <exception cref="ArgumentException">The heatmap is not two-dimensional.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void SaveHeatmap(Tensor heatmap, string path, Colormap colormap = Colormap.Jet, int scale = 1)
    {
        AtomicFile.WritePng(path, () => RenderHeatmap(heatmap, colormap, scale));
    }

    /// <summary>
    /// Explains a photo with Grad-CAM and writes the overlay on the photo, at the photo's own size, as a PNG file: in one
    /// call what <see cref="Model.LoadImage"/>, <see cref="Model.PredictClasses(Tensor)"/>,
    /// <see cref="GradCam.Compute(Model, Tensor, int, GradCamOptions?, CancellationToken)"/>, <see cref="RenderOnPhoto"/> and a save do.
    /// The photo is loaded with the model's own preprocessing (<see cref="Model.GetImagePreprocessing"/>).
    /// </summary>
    /// <param name="model">The model to explain; not disposed.</param>
    /// <param name="photoPath">The photo (a format of <see cref="ImageDecodingOptions.Default"/>: JPEG, PNG, BMP or netpbm).</param>
    /// <param name="outputPath">The PNG file to create or overwrite (written atomically).</param>
    /// <param name="options">Grad-CAM settings (layer, target); defaults if <see langword="null"/>.</param>
    /// <param name="classIndex">The class to explain; the predicted class (the top one) if <see langword="null"/>.</param>
    /// <param name="overlayOptions">Overlay settings (colormap, alpha); defaults if <see langword="null"/>.</param>
    /// <returns>The class explained, with its name from <see cref="Model.ClassNames"/> (when known) and the model's output for it
    /// (for a single sigmoid unit, p for class 1 and 1 − p for class 0).</returns>
    /// <exception cref="InvalidImageFileException">The photo cannot be loaded.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classIndex"/> is not a class of the model.</exception>
    /// <exception cref="InvalidOperationException">The model's output is not flat (it has no class scores).</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static ClassPrediction SaveGradCam(
        Model model, string photoPath, string outputPath, GradCamOptions? options = null, int? classIndex = null, HeatmapOverlayOptions? overlayOptions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfTakesVectors("SaveGradCam");
        ArgumentException.ThrowIfNullOrWhiteSpace(photoPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        using var scope = NewDisposeScope();
        var input = model.LoadImage(photoPath);
        var explained = model.PredictClasses(input)[0];
        if (classIndex is { } wanted && wanted != explained.ClassIndex)
        {
            LayerRunner.ValidateClassIndex(model, wanted, nameof(classIndex));
            var outputs = TensorData.ToArray(model.Predict(input));
            var probability = outputs.Length == 1 ? (wanted == 1 ? outputs[0] : 1 - outputs[0]) : outputs[wanted];
            explained = new ClassPrediction(wanted, wanted < model.ClassNames.Count ? model.ClassNames[wanted] : null, probability);
        }

        using var heatmap = GradCam.Compute(model, input, explained.ClassIndex, options);
        using var overlay = RenderOnPhoto(photoPath, heatmap.Maps, overlayOptions);
        AtomicFile.WritePng(outputPath, overlay);
        return explained;
    }

    private static (int H, int W) Size(Tensor heatmap)
    {
        var s = heatmap.shape;
        if (s.Any(d => d == 0))
        {
            throw new ArgumentException($"The heatmap [{string.Join(", ", s)}] is empty.", nameof(heatmap));
        }

        return s.Length switch
        {
            2 => ((int)s[0], (int)s[1]),
            3 when s[0] == 1 => ((int)s[1], (int)s[2]),
            _ => throw new ArgumentException($"Expected a heatmap [H, W] (or [1, H, W]); got [{string.Join(", ", s)}]. Pass one map, such as GradCam.Compute's, or one row of a batch.", nameof(heatmap)),
        };
    }

    private static float[] ReadHeatmap(Tensor heatmap, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(heatmap);
        NativeBackend.EnsureLoaded();
        var (h, w) = Size(heatmap);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var map = heatmap.detach().to(CPU).to_type(ScalarType.Float32).reshape(1, 1, h, w);
        if (h != height || w != width)
        {
            map = nn.functional.interpolate(map, size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        }

        return TensorData.ToArray(map);
    }

    private static byte Blend(byte image, byte heat, double alpha) => (byte)Math.Round(((1 - alpha) * image) + (alpha * heat));
}
