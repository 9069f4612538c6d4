// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Visualization;

/// <summary>
/// Draws feature maps as a grid of coloured tiles, the way the blog's hand-made 3×3 <c>image()</c> grid should have
/// looked: row 0 of every map at the top, column 0 on the left (no transpose, no flip), channels left to right, top to
/// bottom. Constant ("dead") channels are drawn as a neutral grey tile with a light diagonal, never as NaN or noise.
/// </summary>
public static class FeatureMapGrid
{
    private const int MinimumTileSize = 48;

    /// <summary>Renders feature maps to an image.</summary>
    /// <param name="activations">Feature maps [N, C, H, W] (the sample <see cref="FeatureMapGridOptions.SampleIndex"/> is drawn) or [C, H, W]; not disposed.</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <returns>An RGB image; the caller owns (disposes) it.</returns>
    /// <exception cref="ArgumentException">The tensor's rank, the sample or a channel index is invalid.</exception>
    /// <remarks>Without a layer the automatic title is the maps' shape only; use <see cref="RenderForLayer"/> to name the layer.</remarks>
    public static Image<Rgb24> Render(Tensor activations, FeatureMapGridOptions? options = null) =>
        RenderWithRange(activations, options ?? new FeatureMapGridOptions()).Image;

    /// <summary>Renders a layer's feature maps to an image, titled with the layer's name, index, R index and output shape.</summary>
    /// <param name="activations">The layer's feature maps [N, C, H, W] or [C, H, W]; not disposed.</param>
    /// <param name="layer">The layer that produced them (for example from <see cref="Model.GetLayer(int)"/> or <c>ActivationSet.Layers</c>).</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <returns>An RGB image; the caller owns (disposes) it.</returns>
    /// <exception cref="ArgumentException">The tensor's rank, the sample or a channel index is invalid, or the maps do not have the layer's output shape.</exception>
    public static Image<Rgb24> RenderForLayer(Tensor activations, LayerInfo layer, FeatureMapGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return RenderWithRange(activations, options ?? new FeatureMapGridOptions(), layer).Image;
    }

    /// <summary>Renders feature maps and writes them as a PNG file.</summary>
    /// <param name="activations">Feature maps [N, C, H, W] or [C, H, W]; not disposed.</param>
    /// <param name="path">The PNG file to create or overwrite.</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The tensor's rank, the sample or a channel index is invalid.</exception>
    public static void Save(Tensor activations, string path, FeatureMapGridOptions? options = null)
    {
        AtomicFile.WritePng(path, () => Render(activations, options));
    }

    /// <summary>Renders a layer's feature maps, titled with the layer, and writes them as a PNG file.</summary>
    /// <param name="activations">The layer's feature maps [N, C, H, W] or [C, H, W]; not disposed.</param>
    /// <param name="layer">The layer that produced them.</param>
    /// <param name="path">The PNG file to create or overwrite.</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The tensor's rank, the sample or a channel index is invalid, or the maps do not have the layer's output shape.</exception>
    public static void SaveForLayer(Tensor activations, LayerInfo layer, string path, FeatureMapGridOptions? options = null)
    {
        AtomicFile.WritePng(path, () => RenderForLayer(activations, layer, options));
    }

    /// <summary>
    /// Saves one feature-map grid per layer with spatial output in an activation set, each titled with its layer, like
    /// keract's <c>display_activations(activations, save = TRUE)</c>. The files are named
    /// <c>layer{R index}-{layer name}.png</c>, where the R index is the 1-based index R's <c>get_layer(model, index = k)</c>
    /// takes (<see cref="LayerInfo.Index"/> + 1): for example <c>layer6-conv2d_3.png</c> for the blog's sixth layer.
    /// </summary>
    /// <param name="activations">The activations, for example from <see cref="IntermediateModel.Run(Tensor)"/>; not disposed.</param>
    /// <param name="directory">The output folder; created if missing. Existing files of the same names are replaced.</param>
    /// <param name="options">Grid settings for every layer; defaults if <see langword="null"/>.</param>
    /// <returns>The paths written, in layer order. Layers without spatial output (Flatten, Dense, Dropout after them, global
    /// pooling) have no grid and are skipped: they are in the set's <see cref="ActivationSet.Layers"/> but not in the result.</returns>
    /// <exception cref="ArgumentException">A channel or sample of <paramref name="options"/> does not exist in a layer.</exception>
    /// <exception cref="ObjectDisposedException">The set has been disposed.</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public static IReadOnlyList<string> SaveGrids(this ActivationSet activations, string directory, FeatureMapGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        var paths = new List<string>(activations.Count);
        foreach (var layer in activations.Layers)
        {
            if (!layer.OutputShape.IsSpatial)
            {
                continue;
            }

            var path = Path.Combine(directory, $"layer{layer.Index + 1}-{layer.Name}.png");
            SaveForLayer(activations[layer.Name], layer, path, options);
            paths.Add(path);
        }

        return paths;
    }

    /// <summary>Renders and reports the value range mapped to the ends of the colour scale (NaN for per-map scaling) and the labels drawn.</summary>
    internal static (Image<Rgb24> Image, double Low, double High, int DeadChannels, GridLabels Labels) RenderWithRange(
        Tensor activations, FeatureMapGridOptions options, LayerInfo? layer = null)
    {
        ArgumentNullException.ThrowIfNull(activations);
        var batch = activations.dim() == 4 ? activations.shape[0] : 1;
        var (values, channels, height, width) = ExtractSample(activations, options.SampleIndex);
        if (layer is not null && !(layer.OutputShape.IsSpatial && layer.OutputShape.Channels == channels
            && layer.OutputShape.Height == height && layer.OutputShape.Width == width))
        {
            throw new ArgumentException(
                $"The maps are {GridLabels.FormatShape([height, width, channels])} (H×W×C) but layer {layer.Index} '{layer.Name}' outputs " +
                $"{GridLabels.FormatShape(layer.OutputShape.Dimensions)}. Pass that layer's own activations, or the layer that produced these maps.",
                nameof(layer));
        }

        var selected = options.Channels is null ? [.. Enumerable.Range(0, channels)] : options.Channels.ToArray();
        if (selected.Length == 0)
        {
            throw new ArgumentException("Select at least one channel.", nameof(options));
        }

        foreach (var c in selected)
        {
            if (c < 0 || c >= channels)
            {
                throw new ArgumentException($"Channel {c} does not exist: the maps have {channels} channels (0..{channels - 1}).", nameof(options));
            }
        }

        var plane = height * width;
        var ranges = new (float Min, float Max)[selected.Length];
        var dead = new bool[selected.Length];
        for (var i = 0; i < selected.Length; i++)
        {
            ranges[i] = MinMax(values.AsSpan(selected[i] * plane, plane));
            dead[i] = IsConstant(ranges[i].Min, ranges[i].Max);
        }

        double low = double.NaN, high = double.NaN;
        var shared = options.Normalization != FeatureMapNormalization.PerMap;
        if (shared)
        {
            (low, high) = SharedRange(values, selected, plane, ranges, options);
        }

        var table = ColormapTables.Get(options.Colormap);
        var columns = options.Columns ?? (int)Math.Ceiling(Math.Sqrt(selected.Length));
        var scale = options.Scale ?? TileCanvas.AutoScale(height, width, MinimumTileSize);
        var strip = options.ColorBar == ColorBarMode.Always || (options.ColorBar == ColorBarMode.WhenShared && shared);
        var labels = BuildLabels(options, layer, selected, channels, height, width, batch, columns, low, high, strip);
        var canvas = new TileCanvas(selected.Length, height, width, scale, columns, options.Padding, strip, labels);
        var tile = new Rgb24[plane];
        var deadCount = 0;
        for (var i = 0; i < selected.Length; i++)
        {
            if (dead[i])
            {
                canvas.DrawNeutral(i);
                deadCount++;
                continue;
            }

            var (lo, hi) = shared ? (low, high) : (ranges[i].Min, ranges[i].Max);
            var inverse = hi > lo ? 1.0 / (hi - lo) : 0.0;
            var source = values.AsSpan(selected[i] * plane, plane);
            for (var p = 0; p < plane; p++)
            {
                tile[p] = ColormapTables.Map(table, (source[p] - lo) * inverse);
            }

            canvas.DrawTile(i, tile);
        }

        canvas.DrawStrip(table);
        return (canvas.ToImage(), low, high, deadCount, labels);
    }

    /// <summary>The automatic title of a grid: the layer (or the bare shape), then what part of it is drawn.</summary>
    internal static string AutomaticTitle(LayerInfo? layer, int drawn, int channels, int height, int width, long batch, int sampleIndex)
    {
        var title = layer is null ? $"feature maps \u00B7 {GridLabels.FormatShape([height, width, channels])}" : GridLabels.LayerTitle(layer);
        if (drawn != channels)
        {
            title += $" \u00B7 {drawn} of {channels} channels";
        }

        if (batch > 1)
        {
            title += $" \u00B7 sample {sampleIndex}";
        }

        return title;
    }

    private static GridLabels BuildLabels(
        FeatureMapGridOptions options, LayerInfo? layer, int[] selected, int channels, int height, int width, long batch, int columns, double low, double high, bool strip)
    {
        var shared = !double.IsNaN(low);
        return new GridLabels
        {
            Title = options.ShowTitle ? options.Title ?? AutomaticTitle(layer, selected.Length, channels, height, width, batch, options.SampleIndex) : null,
            TileLabels = options.ShowChannelNumbers ? GridLabels.Numbers(selected) : null,
            RowLabels = options.ShowChannelNumbers ? GridLabels.RowStarts(selected, columns) : null,
            StripLow = strip && options.ShowColorBarLabels ? (shared ? GridLabels.FormatValue(low) : "tile min") : null,
            StripHigh = strip && options.ShowColorBarLabels ? (shared ? GridLabels.FormatValue(high) : "tile max") : null,
        };
    }

    private static (float[] Values, int Channels, int Height, int Width) ExtractSample(Tensor activations, int sampleIndex)
    {
        NativeBackend.EnsureLoaded();
        var shape = activations.shape;
        using var scope = NewDisposeScope();
        Tensor sample;
        switch (shape.Length)
        {
            case 4:
                if (sampleIndex >= shape[0])
                {
                    throw new ArgumentException($"Sample {sampleIndex} does not exist: the batch has {shape[0]} samples.", nameof(activations));
                }

                sample = activations[sampleIndex];
                break;
            case 3:
                sample = activations;
                break;
            default:
                throw new ArgumentException(
                    $"Expected feature maps [N, C, H, W] or [C, H, W]; got [{string.Join(", ", shape)}]. " +
                    "Flat (Dense/Flatten) outputs have no spatial layout to draw.", nameof(activations));
        }

        return (TensorData.ToArray(sample), (int)sample.shape[0], (int)sample.shape[1], (int)sample.shape[2]);
    }

    private static (double Low, double High) SharedRange(float[] values, int[] selected, int plane, (float Min, float Max)[] ranges, FeatureMapGridOptions options)
    {
        if (options.Normalization == FeatureMapNormalization.PerLayer)
        {
            var min = double.PositiveInfinity;
            var max = double.NegativeInfinity;
            foreach (var (lo, hi) in ranges)
            {
                min = Math.Min(min, lo);
                max = Math.Max(max, hi);
            }

            return (min, max);
        }

        if (options.LowerPercentile >= options.UpperPercentile)
        {
            throw new ArgumentException(
                $"LowerPercentile ({options.LowerPercentile}) must be below UpperPercentile ({options.UpperPercentile}).", nameof(options));
        }

        var pool = new float[selected.Length * plane];
        for (var i = 0; i < selected.Length; i++)
        {
            values.AsSpan(selected[i] * plane, plane).CopyTo(pool.AsSpan(i * plane));
        }

        Array.Sort(pool);
        var low = Percentile(pool, options.LowerPercentile);
        var high = Percentile(pool, options.UpperPercentile);
        if (!(high > low))
        {
            // All values within the percentiles are equal: fall back to the full range so outliers still show.
            (low, high) = (pool[0], pool[^1]);
        }

        return (low, high);
    }

    /// <summary>Linear-interpolated percentile of sorted values (NumPy's default method).</summary>
    internal static double Percentile(float[] sorted, double percent)
    {
        var position = percent / 100.0 * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        var fraction = position - below;
        return sorted[below] + ((sorted[above] - sorted[below]) * fraction);
    }

    private static (float Min, float Max) MinMax(ReadOnlySpan<float> values)
    {
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        return (min, max);
    }

    private static bool IsConstant(float min, float max) =>
        !(max >= min) || max - min <= 1e-6f * Math.Max(1f, Math.Max(Math.Abs(min), Math.Abs(max)));
}
