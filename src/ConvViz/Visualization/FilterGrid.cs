// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Visualization;

/// <summary>
/// Draws convolution kernels (weights): the first layer's kernels as RGB tiles (one per filter), and any conv layer's
/// kernels as a per-channel grid (one row per filter, one column per input channel).
/// </summary>
public static class FilterGrid
{
    /// <summary>
    /// Draws the kernels of the first layer with filters (<see cref="LayerOptions.HasFilters"/>, such as Conv2D) as colour tiles, one per filter, each stretched from its own minimum to its
    /// maximum over all three channels (so the colour balance of a filter is kept). Single-channel inputs give grey tiles.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <returns>An RGB image; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The model has no layer with filters, or the first one does not read 1 or 3 channels.</exception>
    public static Image<Rgb24> RenderFirstLayer(Model model, FilterGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new FilterGridOptions();
        var layer = model.Layers.FirstOrDefault(l => l.Options.HasFilters)
            ?? throw new ArgumentException("The model has no layer with filters (such as Conv2D).", nameof(model));
        var (values, outChannels, inChannels, kh, kw) = ReadKernel(model, layer);
        if (inChannels is not (1 or 3))
        {
            throw new ArgumentException(
                $"Layer '{layer.Name}' reads {inChannels} channels; RGB tiles need 1 or 3. Use RenderLayer for a per-channel grid.", nameof(model));
        }

        var count = Math.Min(outChannels, options.MaxFilters ?? outChannels);
        var filters = Enumerable.Range(0, count).ToArray();
        var columns = (int)Math.Ceiling(Math.Sqrt(count));
        var title = $"{GridLabels.LayerTitle(layer)} \u00B7 kernels {GridLabels.FormatShape([kh, kw, inChannels])}" +
            (count < outChannels ? $" \u00B7 {count} of {outChannels} filters" : string.Empty);
        var labels = new GridLabels
        {
            Title = options.ShowTitle ? options.Title ?? title : null,
            TileLabels = options.ShowChannelNumbers ? GridLabels.Numbers(filters) : null,
            RowLabels = options.ShowChannelNumbers ? GridLabels.RowStarts(filters, columns) : null,
        };
        return RenderColorTiles(values, count, inChannels, kh, kw, options.Scale, columns, options.Padding, labels);
    }

    /// <summary>
    /// Draws the kernels of a layer with filters (<see cref="LayerOptions.HasFilters"/>, such as Conv2D) as a grid: row = filter (output channel), column = input channel, one colormapped
    /// tile per 2-D kernel, all on one shared scale (the layer's minimum to maximum) so weights are comparable.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="layerName">The name of a layer with filters (such as Conv2D).</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <returns>An RGB image; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The layer does not exist or has no filters.</exception>
    public static Image<Rgb24> RenderLayer(Model model, string layerName, FilterGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new FilterGridOptions();
        var layer = LayerRunner.Resolve(model, layerName, nameof(layerName));
        var (values, outChannels, inChannels, kh, kw) = ReadKernel(model, layer);
        var filters = Math.Min(outChannels, options.MaxFilters ?? outChannels);
        var inputs = Math.Min(inChannels, options.MaxInputChannels ?? inChannels);
        var (min, max) = MinMax(values);
        var table = ColormapTables.Get(options.Colormap);
        var title = $"{GridLabels.LayerTitle(layer)} \u00B7 kernels {GridLabels.FormatShape([kh, kw, inChannels])} \u00B7 " +
            $"rows: filters{(filters < outChannels ? $" (first {filters} of {outChannels})" : string.Empty)}, " +
            $"columns: input channels{(inputs < inChannels ? $" (first {inputs} of {inChannels})" : string.Empty)}";
        var labels = new GridLabels
        {
            Title = options.ShowTitle ? options.Title ?? title : null,
            RowLabels = options.ShowChannelNumbers ? GridLabels.Numbers([.. Enumerable.Range(0, filters)]) : null,
            ColumnLabels = options.ShowChannelNumbers ? GridLabels.Numbers([.. Enumerable.Range(0, inputs)]) : null,
            StripLow = options.ShowColorBarLabels ? GridLabels.FormatValue(min) : null,
            StripHigh = options.ShowColorBarLabels ? GridLabels.FormatValue(max) : null,
        };
        var canvas = new TileCanvas(filters * inputs, kh, kw, options.Scale, inputs, options.Padding, colorStrip: true, labels);
        var plane = kh * kw;
        var tile = new Rgb24[plane];
        var inverse = max > min ? 1.0 / (max - min) : 0.0;
        for (var f = 0; f < filters; f++)
        {
            for (var c = 0; c < inputs; c++)
            {
                var kernel = values.AsSpan(((f * inChannels) + c) * plane, plane);
                for (var p = 0; p < plane; p++)
                {
                    tile[p] = ColormapTables.Map(table, (kernel[p] - min) * inverse);
                }

                canvas.DrawTile((f * inputs) + c, tile);
            }
        }

        canvas.DrawStrip(table);
        return canvas.ToImage();
    }

    /// <summary>
    /// Draws the patterns found by <see cref="ActivationMaximization"/> as a grid of RGB (or grey) tiles, one per filter in
    /// the result's order, each stretched from its own minimum to its maximum, numbered with the channel each maximises
    /// and titled with the layer's name, 0-based index, R index and output shape, the channel count and the steps run.
    /// Small inputs are upscaled to at least 48 pixels.
    /// </summary>
    /// <param name="model">The model the patterns were computed for (it names the layer in the title).</param>
    /// <param name="result">The activation-maximisation result; not disposed.</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <returns>An RGB image; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The model has no layer of the result's name, or the images do not have 1 or 3 channels.</exception>
    public static Image<Rgb24> RenderPatterns(Model model, ActivationMaximizationResult result, PatternGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(result);
        var layer = model.Layers.FirstOrDefault(l => l.Name == result.LayerName)
            ?? throw new ArgumentException(
                $"The model has no layer '{result.LayerName}' (the result's layer). Pass the model the patterns were computed for. Layers: " +
                string.Join(", ", model.Layers.Select(l => l.Name)) + ".", nameof(model));
        return RenderPatternTiles(result, layer, options ?? new PatternGridOptions());
    }

    /// <summary>Draws the first layer's kernels as <see cref="RenderFirstLayer"/> does and writes them as a PNG file.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The PNG file to create or overwrite (written atomically).</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The model has no layer with filters, or the first one does not read 1 or 3 channels.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void SaveFirstLayer(Model model, string path, FilterGridOptions? options = null)
    {
        AtomicFile.WritePng(path, () => RenderFirstLayer(model, options));
    }

    /// <summary>Draws a layer's kernels as <see cref="RenderLayer"/> does and writes them as a PNG file.</summary>
    /// <param name="model">The model.</param>
    /// <param name="layerName">The name of a layer with filters (such as Conv2D).</param>
    /// <param name="path">The PNG file to create or overwrite (written atomically).</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The layer does not exist or has no filters.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void SaveLayer(Model model, string layerName, string path, FilterGridOptions? options = null)
    {
        AtomicFile.WritePng(path, () => RenderLayer(model, layerName, options));
    }

    /// <summary>Draws activation-maximisation patterns as <see cref="RenderPatterns"/> does and writes them as a PNG file.</summary>
    /// <param name="model">The model the patterns were computed for.</param>
    /// <param name="result">The activation-maximisation result; not disposed.</param>
    /// <param name="path">The PNG file to create or overwrite (written atomically).</param>
    /// <param name="options">Settings; defaults if <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The model has no layer of the result's name, or the images do not have 1 or 3 channels.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void SavePatterns(Model model, ActivationMaximizationResult result, string path, PatternGridOptions? options = null)
    {
        AtomicFile.WritePng(path, () => RenderPatterns(model, result, options));
    }

    private static Image<Rgb24> RenderPatternTiles(ActivationMaximizationResult result, LayerInfo layer, PatternGridOptions options)
    {
        var images = result.Images;
        var shape = images.shape;
        if (shape.Length != 4 || shape[1] is not (1 or 3))
        {
            throw new ArgumentException($"Expected images [F, 1 or 3, H, W]; got [{string.Join(", ", shape)}].", nameof(result));
        }

        var count = (int)shape[0];
        var channels = (int)shape[1];
        var h = (int)shape[2];
        var w = (int)shape[3];
        var values = TensorData.ToArray(images);
        var columns = options.Columns ?? (int)Math.Ceiling(Math.Sqrt(count));
        var title = $"{GridLabels.LayerTitle(layer)} \u00B7 " +
            $"{count} {(count == 1 ? "channel" : "channels")} maximised \u00B7 {result.StepsRun} steps";
        var labels = new GridLabels
        {
            Title = options.ShowTitle ? options.Title ?? title : null,
            TileLabels = options.ShowChannelNumbers ? GridLabels.Numbers(result.Filters) : null,
            RowLabels = options.ShowChannelNumbers ? GridLabels.RowStarts(result.Filters, columns) : null,
        };
        return RenderColorTiles(values, count, channels, h, w, options.Scale ?? TileCanvas.AutoScale(h, w, 48), columns, options.Padding, labels);
    }

    /// <summary>
    /// Draws F tiles from values laid out [F, C, H, W] with C = 1 (gray) or 3 (RGB); each tile is stretched from its
    /// own minimum to its maximum, and a constant tile is drawn neutral.
    /// </summary>
    private static Image<Rgb24> RenderColorTiles(float[] values, int count, int channels, int h, int w, int scale, int columns, int padding, GridLabels labels)
    {
        var canvas = new TileCanvas(count, h, w, scale, columns, padding, colorStrip: false, labels);
        var plane = h * w;
        var tile = new Rgb24[plane];
        for (var f = 0; f < count; f++)
        {
            var start = f * channels * plane;
            var (min, max) = MinMax(values.AsSpan(start, channels * plane));
            if (!(max > min))
            {
                canvas.DrawNeutral(f);
                continue;
            }

            var inverse = 255.0 / (max - min);
            for (var p = 0; p < plane; p++)
            {
                byte At(int c) => (byte)Math.Round((values[start + (c * plane) + p] - min) * inverse);
                tile[p] = channels == 3 ? new Rgb24(At(0), At(1), At(2)) : new Rgb24(At(0), At(0), At(0));
            }

            canvas.DrawTile(f, tile);
        }

        return canvas.ToImage();
    }

    private static (float[] Values, int Out, int In, int Kh, int Kw) ReadKernel(Model model, LayerInfo layer)
    {
        NativeBackend.EnsureLoaded();
        if (!layer.Options.HasFilters)
        {
            throw new ArgumentException(
                $"Layer '{layer.Name}' is a {layer.TypeName} layer, which has no convolution kernel. Layers with filters: " +
                string.Join(", ", model.Layers.Where(l => l.Options.HasFilters).Select(l => l.Name)) + ".", nameof(layer));
        }

        using var kernel = model.GetWeight(layer.Index, "kernel");
        var shape = kernel.shape;
        return (TensorData.ToArray(kernel), (int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]);
    }

    private static (float Min, float Max) MinMax(ReadOnlySpan<float> values)
    {
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return (min, max);
    }
}
