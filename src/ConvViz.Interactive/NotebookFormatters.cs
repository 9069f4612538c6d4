// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Training;
using ConvViz.Visualization;
using Microsoft.DotNet.Interactive.Formatting;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Interactive;

/// <summary>
/// The notebook formatters of ConvViz's types (HTML, with plain text as the fallback): models, summaries, training
/// histories, tensors, activation sets, ImageSharp images, datasets, figures and the live training display.
/// </summary>
/// <remarks>
/// <see cref="ConvVizKernelExtension"/> calls <see cref="Register"/> when the package is added with
/// <c>#r "nuget: ConvViz.Interactive"</c>; call it yourself only where extensions are not loaded (a kernel you host).
/// A formatter never throws into the cell: a disposed object shows a short "disposed" text, and a failure to draw
/// shows the reason.
/// </remarks>
public static class NotebookFormatters
{
    /// <summary>Tensors with more elements than this are summarised (shape, type, range), not drawn.</summary>
    public const long MaxDrawnElements = 8L * 1024 * 1024;

    /// <summary>At most this many channels of a feature-map tensor are drawn; the rest are counted.</summary>
    public const int MaxDrawnChannels = 64;

    /// <summary>At most this many samples of a dataset are shown in its strip.</summary>
    public const int DatasetStripLength = 8;

    private const string HtmlMime = "text/html";
    private const string TextMime = "text/plain";
    private static readonly Lock s_gate = new();
    private static bool s_registered;

    /// <summary>Gets whether <see cref="Register"/> has run in this process.</summary>
    public static bool IsRegistered
    {
        get
        {
            lock (s_gate)
            {
                return s_registered;
            }
        }
    }

    /// <summary>Registers the formatters with .NET Interactive's <see cref="Formatter"/>. Calling it again does nothing.</summary>
    public static void Register()
    {
        lock (s_gate)
        {
            if (s_registered)
            {
                return;
            }

            s_registered = true;
        }

        Add<Model>(ModelHtml, ModelText);
        Add<ModelSummary>(s => SummaryHtml(s, null), s => s.ToString());
        Add<TrainingHistory>(HistoryHtml, h => h.ToString());
        Add<Tensor>(TensorHtml, TensorText);
        Add<ActivationSet>(ActivationsHtml, ActivationsText);
        Add<Image>(ImageHtml, i => $"ImageSharp image {i.Width}×{i.Height}");
        Add<IBatchSource>(DatasetHtml, DatasetText);
        Add<NotebookFigure>(f => f.ToHtml(), f => f.ToString());
        Add<NotebookReport>(r => r.ToHtml(), r => r.ToString());
        Add<LiveTrainingDisplay>(d => d.ToHtml(), d => d.ToString());
    }

    private static void Add<T>(Func<T, string> html, Func<T, string> text)
    {
        Formatter.Register<T>((value, context) => Write(value, context, html), HtmlMime);
        Formatter.Register<T>((value, context) => Write(value, context, text), TextMime);
    }

    private static bool Write<T>(T value, FormatContext context, Func<T, string> render)
    {
        context.Writer.Write(Safely(value, render));
        return true;
    }

    /// <summary>Renders, turning "disposed" and drawing failures into a short text instead of an exception in the cell.</summary>
    internal static string Safely<T>(T value, Func<T, string> render)
    {
        var name = typeof(T).Name;
        try
        {
            return value is null ? "null" : render(value);
        }
        catch (ObjectDisposedException)
        {
            return $"({name}: disposed)";
        }
        catch (InvalidOperationException e) when (e.Message.Contains("empty handle", StringComparison.Ordinal))
        {
            // TorchSharp's message for a disposed tensor inside the object (a disposed dataset's images).
            return $"({name}: disposed)";
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or NotSupportedException or ExternalException or FormatException)
        {
            return $"({name}: ConvViz could not draw it: {e.Message})";
        }
    }

    internal static string ToHtml<T>(T value) => Render(value, HtmlMime);

    internal static string ToText<T>(T value) => Render(value, TextMime);

    private static string Render<T>(T value, string mime)
    {
        Register();
        return value.ToDisplayString(mime);
    }

    // ---- Model and summary ------------------------------------------------------------------------------------

    private static void ThrowIfDisposed(Model model) => _ = model.Module; // the one public member that checks

    private static string ModelHtml(Model model)
    {
        ThrowIfDisposed(model);
        return SummaryHtml(model.Summary(), model);
    }

    private static string ModelText(Model model)
    {
        ThrowIfDisposed(model);
        return model.Summary().ToString();
    }

    /// <summary>
    /// Keras' summary table with both indices; a graph (non-sequential) model gets Keras' functional header and its
    /// "Connected to" column: each input as <c>name[0][0]</c>, one per line, empty for the layer that takes the image.
    /// </summary>
    private static string SummaryHtml(ModelSummary summary, Model? model)
    {
        var graph = !summary.IsSequential;
        var rows = summary.Layers.Select(l =>
        {
            string[] cells =
            [
                l.Index.ToString(CultureInfo.InvariantCulture),
                (l.Index + 1).ToString(CultureInfo.InvariantCulture),
                $"{Html.Encode(l.Name)} <span style=\"color:#777\">({Html.Encode(l.TypeName)})</span>",
                Html.Encode(l.OutputShape.ToString()),
                Html.Number(l.ParameterCount),
            ];
            return graph ? [.. cells, string.Join("<br>", l.Inputs.Select(i => Html.Encode($"{i.Name}[0][0]")))] : cells;
        });
        var name = graph ? "Model: \"model\"" : "Model: \"sequential\"";
        var head = model is null
            ? name
            : $"{name}, input {string.Join("×", model.InputLayerShape.Dimensions)}";
        var body = new StringBuilder();
        body.Append(Html.Heading(head));
        body.Append(Html.Table(
            graph ? ["index", "R index", "Layer (type)", "Output shape", "Param #", "Connected to"] : ["index", "R index", "Layer (type)", "Output shape", "Param #"],
            rows,
            graph ? [true, true, false, false, true, false] : [true, true, false, false, true]));
        body.Append(CultureInfo.InvariantCulture, $"<div class=\"totals\">Total params: <b class=\"total-params\">{Html.Number(summary.TotalParameters)}</b><br>");
        body.Append(CultureInfo.InvariantCulture, $"Trainable params: {Html.Number(summary.TrainableParameters)}<br>");
        body.Append(CultureInfo.InvariantCulture, $"Non-trainable params: {Html.Number(summary.NonTrainableParameters)}</div>");
        body.Append(Html.Note("index: ConvViz's 0-based layer index (model.Layers[i]); R index: keras' 1-based get_layer(model, index = i + 1)."));
        return Html.Box(body.ToString(), "model");
    }

    // ---- Training history ---------------------------------------------------------------------------------------

    private static string HistoryHtml(TrainingHistory history)
    {
        if (history.Count == 0)
        {
            return Html.Box(Html.Note("Training history: no epochs yet."), "history");
        }

        var svg = HistoryPlot.ToSvg(history, new HistoryPlotOptions { Width = 640, PanelHeight = 200 });
        var last = history.Count - 1;
        var values = history.Keys
            .Where(k => k is not TrainingHistory.LearningRateKey and not TrainingHistory.TimeKey)
            .Select(k => $"{k}: {Html.Number(history[k][last])}");
        var text = Html.Heading($"Training history: {history.Count} epoch(s), last epoch {history.Epochs[last] + 1}") +
            Html.SvgImg(svg, "training history chart") +
            Html.Note($"Epoch {history.Epochs[last] + 1}: " + string.Join(", ", values));
        return Html.Box(text, "history");
    }

    // ---- Tensors -------------------------------------------------------------------------------------------------

    private enum TensorKind
    {
        Other,
        FeatureMaps,
        Heatmap,
    }

    private static TensorKind Classify(Tensor tensor)
    {
        if (!tensor.is_floating_point())
        {
            return TensorKind.Other;
        }

        var s = tensor.shape;
        return s.Length switch
        {
            4 when s[0] >= 1 && s[1] >= 1 && s[2] >= 2 && s[3] >= 2 => TensorKind.FeatureMaps,
            3 when s[0] >= 1 && s[1] >= 2 && s[2] >= 2 => TensorKind.FeatureMaps,
            2 when s[0] >= 4 && s[1] >= 4 => TensorKind.Heatmap,
            _ => TensorKind.Other,
        };
    }

    private static void ThrowIfDisposed(Tensor tensor)
    {
        if (tensor.IsInvalid)
        {
            throw new ObjectDisposedException(nameof(Tensor));
        }
    }

    private static string Shape(Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";

    private static string TensorText(Tensor tensor)
    {
        ThrowIfDisposed(tensor);
        var kind = Classify(tensor);
        var head = $"Tensor {Shape(tensor)} {tensor.dtype} on {tensor.device}";
        if (tensor.numel() > MaxDrawnElements || kind == TensorKind.Other)
        {
            return head + Statistics(tensor) + SmallValues(tensor);
        }

        return head + (kind == TensorKind.Heatmap ? " (heatmap, drawn in HTML)" : " (feature maps, drawn in HTML)");
    }

    private static string Statistics(Tensor tensor)
    {
        if (tensor.numel() == 0 || tensor.is_complex() || tensor.dtype == ScalarType.Bool)
        {
            return string.Empty;
        }

        using var scope = NewDisposeScope();
        var values = tensor.detach().to_type(ScalarType.Float64);
        return FormattableString.Invariant($", min {values.min().item<double>():G5}, max {values.max().item<double>():G5}, mean {values.mean().item<double>():G5}");
    }

    private static string SmallValues(Tensor tensor) =>
        tensor.numel() is > 0 and <= 64 ? Environment.NewLine + tensor.ToString(TorchSharp.TensorStringStyle.Numpy) : string.Empty;

    private static string TensorHtml(Tensor tensor)
    {
        ThrowIfDisposed(tensor);
        var kind = Classify(tensor);
        var count = tensor.numel();
        if (kind == TensorKind.Other || count > MaxDrawnElements)
        {
            // Not an image-like activation (or too big to draw): TorchSharp's own description, summarised.
            var note = count > MaxDrawnElements ? $" (too large to draw: {Html.Number(count)} values)" : string.Empty;
            return Html.Box($"<pre style=\"margin:0\">{Html.Encode(TensorText(tensor))}{Html.Encode(note)}</pre>", "tensor");
        }

        using var scope = NewDisposeScope();
        if (kind == TensorKind.Heatmap)
        {
            var map = tensor.detach().to_type(ScalarType.Float32).cpu();
            var (min, max) = (map.min().item<float>(), map.max().item<float>());
            using var low = min.ToScalar();
            using var range = (max - min).ToScalar();
            var unit = min >= 0 && max <= 1 ? map : max > min ? map.sub(low).div(range) : zeros_like(map);
            var scale = Math.Clamp(256 / (int)Math.Max(map.shape[0], map.shape[1]), 1, 16);
            using var image = HeatmapOverlay.RenderHeatmap(unit, Colormap.Jet, scale);
            var png = Html.Png(image);
            return Html.Box(
                Html.Heading($"Heatmap {Shape(tensor)}") + Html.Img(png, image.Width, image.Height, "heatmap") +
                Html.Note(FormattableString.Invariant($"Jet colour scale, blue = low, red = high; values {min:G4} … {max:G4}.")),
                "tensor");
        }

        var s = tensor.shape;
        var channels = (int)(s.Length == 4 ? s[1] : s[0]);
        var options = new FeatureMapGridOptions
        {
            Channels = channels > MaxDrawnChannels ? Enumerable.Range(0, MaxDrawnChannels).ToArray() : null,
            ShowTitle = false,
        };
        using var grid = FeatureMapGrid.Render(tensor.detach(), options);
        var notes = new List<string>();
        if (s.Length == 4 && s[0] > 1)
        {
            notes.Add($"Sample 0 of {s[0]}.");
        }

        if (channels > MaxDrawnChannels)
        {
            notes.Add($"First {MaxDrawnChannels} of {channels} channels.");
        }

        return Html.Box(
            Html.Heading($"Feature maps {Shape(tensor)}: {channels} channel(s)") + Html.Img(Html.Png(grid), grid.Width, grid.Height, "feature maps") +
            string.Concat(notes.Select(Html.Note)),
            "tensor");
    }

    // ---- Activations ---------------------------------------------------------------------------------------------

    private static string LayerTitle(LayerInfo layer) =>
        $"get_layer(index = {layer.Index + 1}) = layer {layer.Index} '{layer.Name}' ({layer.TypeName}), output {layer.OutputShape}";

    private static string ActivationsHtml(ActivationSet set)
    {
        var body = new StringBuilder();
        body.Append(Html.Heading($"Activations of {set.Count} layer(s)"));
        foreach (var layer in set.Layers)
        {
            var maps = set.GetByIndex(layer.Index);
            ThrowIfDisposed(maps);
            body.Append("<div class=\"layer\" style=\"margin:8px 0\">");
            body.Append(Html.Heading(LayerTitle(layer)));
            if (Classify(maps) == TensorKind.FeatureMaps && maps.numel() <= MaxDrawnElements && maps.shape.Length == 4)
            {
                var channels = (int)maps.shape[1];
                var options = new FeatureMapGridOptions
                {
                    Channels = channels > MaxDrawnChannels ? Enumerable.Range(0, MaxDrawnChannels).ToArray() : null,
                    ShowTitle = false,
                    ShowChannelNumbers = true,
                };
                using var grid = FeatureMapGrid.RenderForLayer(maps, layer, options);
                body.Append(Html.Img(Html.Png(grid), grid.Width, grid.Height, LayerTitle(layer)));
                body.Append(Html.Note(channels > MaxDrawnChannels
                    ? $"First {MaxDrawnChannels} of {channels} feature maps, each scaled to its own range."
                    : $"{channels} feature maps, each scaled to its own range (bright = strong activation).") +
                    Html.Note("A grey tile crossed by a diagonal is a map that is the same everywhere (often all zero: a filter that does not fire)."));
            }
            else
            {
                body.Append(Html.Note(TensorText(maps)));
            }

            body.Append("</div>");
        }

        return Html.Box(body.ToString(), "activations");
    }

    private static string ActivationsText(ActivationSet set) =>
        string.Join(Environment.NewLine, set.Layers.Select(l => LayerTitle(l) + ": tensor " + Shape(set.GetByIndex(l.Index))));

    // ---- Images --------------------------------------------------------------------------------------------------

    private static string ImageHtml(Image image)
    {
        using var converted = image is Image<Rgb24> ? null : image.CloneAs<Rgb24>();
        var source = converted ?? (Image<Rgb24>)image;
        var png = Html.Png(source);
        var shown = source.Width < 128 ? source.Width * Math.Max(1, 128 / source.Width) : source.Width;
        return Html.Box(Html.Img(png, source.Width, source.Height, "image", shown) + Html.Note($"{source.Width}×{source.Height} pixels"), "image");
    }

    // ---- Datasets ------------------------------------------------------------------------------------------------

    private static string DatasetText(IBatchSource data)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{data.GetType().Name}: {data.SampleCount} images, {data.ClassNames.Count} classes, batches of {data.BatchSize} ({data.BatchesPerEpoch} per epoch)");
        if (data is ImageFolderDataset folder)
        {
            for (var i = 0; i < folder.ClassNames.Count; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{Environment.NewLine}  {folder.ClassNames[i]}: {folder.ClassCounts[i]}");
            }
        }

        return text.ToString();
    }

    private static string DatasetHtml(IBatchSource data)
    {
        var body = new StringBuilder();
        var p = data.Preprocessing;
        body.Append(Html.Heading($"{data.GetType().Name}: {Html.Number(data.SampleCount)} images, {data.ClassNames.Count} classes"));
        body.Append(Html.Note($"Batches of {data.BatchSize} ({data.BatchesPerEpoch} per epoch), images {p.TargetHeight}×{p.TargetWidth} {p.ColorMode}."));
        if (data is ImageFolderDataset folder)
        {
            body.Append(Html.Table(
                ["class", "index", "images"],
                folder.ClassNames.Select((name, i) => new[] { Html.Encode(name), i.ToString(CultureInfo.InvariantCulture), Html.Number(folder.ClassCounts[i]) }),
                [false, true, true]));
        }
        else
        {
            body.Append(Html.Note("Classes: " + string.Join(", ", data.ClassNames)));
        }

        body.Append(Strip(data));
        return Html.Box(body.ToString(), "dataset");
    }

    /// <summary>The first images of epoch 0 as the network gets them (augmented when the source augments), each scaled to its own range.</summary>
    private static string Strip(IBatchSource data)
    {
        using var scope = NewDisposeScope();
        using var batch = data.GetBatches(0).FirstOrDefault();
        if (batch is null)
        {
            return string.Empty;
        }

        var count = Math.Min(batch.Count, DatasetStripLength);
        var labels = LabelsOf(batch, count, data.ClassNames);
        var tiles = new StringBuilder("<div style=\"display:flex;flex-wrap:wrap;gap:6px;margin-top:6px\">");
        for (var i = 0; i < count; i++)
        {
            using var image = TensorImages.ToImage(batch.Images[i]);
            var shown = Math.Clamp(image.Width, 64, 96);
            tiles.Append(CultureInfo.InvariantCulture, $"<div style=\"text-align:center;font-size:11px\">{Html.Img(Html.Png(image), image.Width, image.Height, labels[i], shown)}{Html.Encode(labels[i])}</div>");
        }

        tiles.Append("</div>");
        return tiles + Html.Note($"The first {count} images of epoch 1 as the network sees them (after augmentation, if any), each scaled to its own range.");
    }

    private static string[] LabelsOf(Batch batch, int count, IReadOnlyList<string> classNames)
    {
        var labels = new string[count];
        if (batch.Labels is not { } y)
        {
            Array.Fill(labels, string.Empty);
            return labels;
        }

        using var scope = NewDisposeScope();
        var values = y.detach().to_type(ScalarType.Float32).cpu();
        for (var i = 0; i < count; i++)
        {
            var row = values[i];
            var index = row.numel() > 1 ? (int)row.argmax().item<long>() : (int)Math.Round(row.reshape(-1)[0].item<float>());
            labels[i] = index >= 0 && index < classNames.Count ? classNames[index] : index.ToString(CultureInfo.InvariantCulture);
        }

        return labels;
    }
}
