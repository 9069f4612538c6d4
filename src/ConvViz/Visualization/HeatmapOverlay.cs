// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Visualization;

/// <summary>Draws heatmaps (Grad-CAM, saliency) on their own or blended over the input image.</summary>
public static class HeatmapOverlay
{
    /// <summary>
    /// Blends a heatmap over an image. A heatmap of another size is resized to the image bilinearly.
    /// </summary>
    /// <param name="image">The image shown under the heatmap; not modified or disposed.</param>
    /// <param name="heatmap">A heatmap [H, W] (or [1, H, W]) with values in [0, 1], such as <see cref="GradCam.Compute(Models.Model, Tensor, int, GradCamOptions?)"/>'s; not disposed.</param>
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

    private static (int H, int W) Size(Tensor heatmap)
    {
        var s = heatmap.shape;
        return s.Length switch
        {
            2 => ((int)s[0], (int)s[1]),
            3 when s[0] == 1 => ((int)s[1], (int)s[2]),
            _ => throw new ArgumentException($"Expected a heatmap [H, W]; got [{string.Join(", ", s)}].", nameof(heatmap)),
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

        return ActivationExport.ToArray(map);
    }

    private static byte Blend(byte image, byte heat, double alpha) => (byte)Math.Round(((1 - alpha) * image) + (alpha * heat));
}
