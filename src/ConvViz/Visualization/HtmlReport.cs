// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Net;
using System.Text;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Visualization;

/// <summary>
/// A self-contained HTML page about a model and one input: the layer table, the training history, the input with
/// its top predictions, a Grad-CAM overlay and a saliency map, a feature-map grid for every convolution and pooling layer, and the first
/// layer's filters. Images are embedded as data URIs; the page loads nothing from anywhere and works offline.
/// </summary>
/// <remarks>All text is HTML-encoded. A tiny inline script marks images that failed to decode
/// (<c>data-images-broken</c> on <c>body</c>), which <c>eng/check-report-in-browser.sh</c> checks in headless Chromium.</remarks>
public static class HtmlReport
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222;background:#fafafa}" +
        "h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}" +
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}" +
        "td.n{text-align:right;font-variant-numeric:tabular-nums}" +
        "figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}figcaption{font-size:.9em;color:#555;max-width:40em}" +
        "img{image-rendering:pixelated;border:1px solid #ddd;background:#fff}";

    private const string CheckScript =
        "window.addEventListener('load',function(){var a=document.images,b=0;for(var i=0;i<a.length;i++){" +
        "if(!(a[i].complete&&a[i].naturalWidth>0)){b++;a[i].setAttribute('data-broken','true');}}" +
        "document.body.setAttribute('data-images-total',String(a.length));document.body.setAttribute('data-images-broken',String(b));});";

    /// <summary>Builds the report.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">The contents; defaults (model only) if <see langword="null"/>.</param>
    /// <returns>The HTML document.</returns>
    /// <exception cref="ArgumentException">An input does not match the model, a class name list is too short, or a layer name is unknown.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static string Create(Model model, HtmlReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfTakesVectors("The HTML report");
        NativeBackend.EnsureLoaded();
        options ??= new HtmlReportOptions();
        if (options.ClassNames is null && model.ClassNames.Count > 0)
        {
            options = options with { ClassNames = model.ClassNames };
        }

        var images = ImagesOf(options);
        return options.Layout == HtmlReportLayout.Static
            ? CreateStatic(model, images.Count == 0 ? options : options with { Input = images[0].Input, InputImage = images[0].Photo })
            : CreateInteractive(model, images, options);
    }

    /// <summary>The pattern settings used: <see cref="HtmlReportOptions.PatternSettings"/>, with the model's input range unless the range was set explicitly.</summary>
    internal static ActivationMaximizationOptions PatternSettingsFor(Model model, HtmlReportOptions options) =>
        options.PatternSettings.HasExplicitInputRange ? options.PatternSettings : options.PatternSettings.WithInputRangeOf(model);

    private static List<HtmlReportImage> ImagesOf(HtmlReportOptions options)
    {
        if (options.Images is { } list)
        {
            if (options.Input is not null)
            {
                throw new ArgumentException("Set either HtmlReportOptions.Images or the single-image shorthand Input (with InputImage), not both.", nameof(options));
            }

            return [.. list];
        }

        return options.Input is { } input ? [new HtmlReportImage("input", input, options.InputImage)] : [];
    }

    private static string CreateInteractive(Model model, IReadOnlyList<HtmlReportImage> images, HtmlReportOptions options)
    {
        var data = HtmlReportData.Build(model, images, options);
        foreach (var reduction in data.Reductions)
        {
            HtmlReportLog.OverBudget(options.Logger, reduction);
        }

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Encode(options.Title)).Append("</title>\n<style>").Append(HtmlReportPage.Css).Append("</style>\n")
            .Append("<script>").Append(CheckScript).Append("</script>\n</head>\n<body>\n")
            .Append("<header><h1>").Append(Encode(options.Title)).Append("</h1><div class=\"row\">Image: <span id=\"images\"></span></div></header>\n")
            .Append("<noscript><p class=\"note\">This page needs JavaScript; for a page without script (and for printing) create the report with HtmlReportOptions.Layout = Static.</p></noscript>\n")
            .Append("<div id=\"notes\"></div>\n<main").Append(model.IsSequential ? string.Empty : " class=\"graph-model\"").Append(">\n<div>\n");
        AppendGraph(html, data.Graph, interactive: true);
        html.Append("<section><h2>Layers</h2><p class=\"muted\">Click a layer to see its channels. # is 0-based; R is R's <code>get_layer(index = R)</code>.")
            .Append(model.IsSequential ? string.Empty : " Connected to: the layers whose outputs the layer reads (none: the input image).").Append("</p>\n")
            .Append("<table><thead><tr><th>#</th><th>R</th><th>Layer (type)</th><th>Output shape</th><th>Params</th>")
            .Append(model.IsSequential ? string.Empty : "<th>Connected to</th>").Append("</tr></thead><tbody id=\"layers\"></tbody></table>\n")
            .Append("<p class=\"muted\">Total params: ").Append(model.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)).Append("</p></section>\n");
        if (options.HistorySvg is { } svg)
        {
            html.Append("<section><h2>Training history</h2><figure><img alt=\"Training history\" style=\"max-width:100%\" src=\"data:image/svg+xml;base64,")
                .Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(svg))).Append("\"></figure></section>\n");
        }

        // The script replaces the heading with the selected layer; without images it stays and says why the grid is empty.
        var gridTitle = images.Count == 0 ? "No image was given: pass HtmlReportOptions.Images to see activations." : "Activations";
        html.Append("</div>\n<div>\n<section><h2 id=\"grid-title\">").Append(gridTitle).Append("</h2>\n")
            .Append("<div class=\"row\"><label>Normalisation <select id=\"norm\"><option value=\"channel\">per channel</option><option value=\"layer\">per layer</option></select></label> ")
            .Append("<label>Colormap <select id=\"cmap\"></select></label> <label><input type=\"checkbox\" id=\"hide-dead\"> hide dead channels</label> ")
            .Append("<span class=\"muted\">Arrow keys move between channels.</span></div>\n<div id=\"grid\"></div></section>\n")
            .Append("<section><h2>Channel</h2><div class=\"stage\" id=\"big-stage\"><img id=\"big-photo\" alt=\"Input photo\"><canvas id=\"big-canvas\" role=\"img\" aria-label=\"Selected channel\"></canvas></div>\n")
            .Append("<div class=\"row\"><label>Opacity <input type=\"range\" id=\"opacity\" min=\"0\" max=\"1\" step=\"0.05\" value=\"0.7\"></label></div>\n")
            .Append("<div class=\"row\">Colour bar: <span id=\"cbar-lo\"></span> <canvas id=\"cbar\" role=\"img\" aria-label=\"Colour bar\"></canvas> <span id=\"cbar-hi\"></span></div>\n")
            .Append("<p id=\"value\" aria-live=\"polite\">Move the mouse over the channel to read its value.</p><p id=\"range\" class=\"muted\"></p></section>\n")
            .Append("<section><h2>Classes and attribution</h2><div class=\"row\" id=\"classes\"></div><div class=\"row\" id=\"methods\"></div>\n")
            .Append("<div class=\"stage\" id=\"attr-stage\"><img id=\"attr-photo\" alt=\"Input photo\"><canvas id=\"attr-canvas\" role=\"img\" aria-label=\"Attribution map\"></canvas></div>\n")
            .Append("<div class=\"row\"><label>Opacity <input type=\"range\" id=\"attr-opacity\" min=\"0\" max=\"1\" step=\"0.05\" value=\"0.5\"></label></div><p id=\"attr-caption\"></p></section>\n")
            .Append("<section><h2>Filters and maximisation patterns</h2><div id=\"extras\"></div></section>\n</div>\n</main>\n")
            .Append("<script type=\"application/json\" id=\"report-data\">").Append(data.Json).Append("</script>\n")
            .Append("<script>").Append(HtmlReportPage.Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string CreateStatic(Model model, HtmlReportOptions options)
    {
        if (options.Input is { } input && input.shape[0] != 1)
        {
            throw new ArgumentException($"The report explains one image: pass Input as [1, C, H, W], not [{string.Join(", ", input.shape)}].", nameof(options));
        }

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Encode(options.Title)).Append("</title>\n<style>").Append(Style).Append("</style>\n")
            .Append("<script>").Append(CheckScript).Append("</script>\n</head>\n<body>\n")
            .Append("<h1>").Append(Encode(options.Title)).Append("</h1>\n");

        AppendModelTable(html, model);
        if (!model.IsSequential)
        {
            AppendGraph(html, ModelGraphLayout.Compute(model), interactive: false);
        }

        if (options.HistorySvg is { } svg)
        {
            html.Append("<h2>Training history</h2>\n<figure><img alt=\"Training history\" src=\"data:image/svg+xml;base64,")
                .Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(svg))).Append("\"></figure>\n");
        }

        if (options.Input is { } x)
        {
            AppendInputSections(html, model, x, options);
        }

        AppendFilters(html, model);
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Builds the report and writes it to a file (UTF-8).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The HTML file to create or overwrite.</param>
    /// <param name="options">The contents; defaults (model only) if <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The input does not match the model.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors (see <see cref="Model.InputLayerShape"/>), not images.</exception>
    public static void Save(Model model, string path, HtmlReportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.WriteText(path, Create(model, options));
    }

    private static void AppendModelTable(StringBuilder html, Model model)
    {
        var graph = !model.IsSequential;
        html.Append("<h2>Model</h2>\n<table>\n<thead><tr><th>#</th><th>Layer (type)</th><th>Output shape</th><th>Param #</th>")
            .Append(graph ? "<th>Connected to</th>" : string.Empty).Append("</tr></thead>\n<tbody>\n");
        if (!HasInputLayer(model))
        {
            html.Append("<tr><td class=\"n\"></td><td>input</td><td>").Append(Encode(model.InputShape.ToString())).Append("</td><td class=\"n\">0</td>")
                .Append(graph ? "<td></td>" : string.Empty).Append("</tr>\n");
        }

        foreach (var layer in model.Layers)
        {
            html.Append("<tr><td class=\"n\">").Append(layer.Index.ToString(CultureInfo.InvariantCulture)).Append("</td><td>")
                .Append(Encode($"{layer.Name} ({layer.TypeName})")).Append("</td><td>").Append(Encode(layer.OutputShape.ToString()))
                .Append("</td><td class=\"n\">").Append(layer.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)).Append("</td>");
            if (graph)
            {
                html.Append("<td>").Append(string.Join("<br>", layer.Inputs.Select(i => Encode(i.Name)))).Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n<p>Total params: ").Append(model.ParameterCount.ToString("N0", CultureInfo.InvariantCulture))
            .Append(". Index is 0-based (R's <code>get_layer(index = i)</code> is row i − 1).</p>\n");
    }

    private static bool HasInputLayer(Model model) => model.Layers.Count > 0 && model.Layers[0].Options.IsModelInput;

    /// <summary>The layer graph (<see cref="ModelGraphLayout"/>), open for a graph model and folded for a chain, where it adds nothing to the table's order.</summary>
    private static void AppendGraph(StringBuilder html, ModelGraphLayout graph, bool interactive)
    {
        var layers = graph.Nodes.Count(n => n.Layer is not null);
        var skips = graph.Edges.Count(e => e.IsSkip);
        var summary = graph.IsSequential
            ? $"{layers} layers in one chain: each layer reads the one above it."
            : $"{layers} layers in {graph.RowCount} rows (row = longest path from the input); {skips} skip connection{(skips == 1 ? string.Empty : "s")} (orange, dashed, routed along the right).";
        if (interactive)
        {
            html.Append("<section><h2>Graph</h2><details id=\"graph\"").Append(graph.IsSequential ? string.Empty : " open").Append("><summary>")
                .Append(Encode(summary)).Append("</summary>\n<div class=\"graph\">").Append(graph.ToSvg(interactive: true))
                .Append("</div><p class=\"muted\">Click a layer to see its channels. Arrows run from each input to the layer that reads it; orange dashed arrows jump over rows (skip connections).</p></details></section>\n");
        }
        else
        {
            html.Append("<h2>Graph</h2>\n<p>").Append(Encode(summary)).Append("</p>\n<div>").Append(graph.ToSvg(interactive: false)).Append("</div>\n");
        }
    }

    private static void AppendInputSections(StringBuilder html, Model model, Tensor input, HtmlReportOptions options)
    {
        model.ValidateInput(input);
        using var scope = NewDisposeScope();
        float[] scores;
        using (model.BeginInference("HtmlReport"))
        using (no_grad())
        {
            scores = TensorData.ToArray(model.Forward(input));
        }

        var names = options.ClassNames;
        if (names is not null && names.Count < scores.Length)
        {
            throw new ArgumentException($"ClassNames has {names.Count} names but the model has {scores.Length} outputs.", nameof(options));
        }

        string ClassName(int i) => names is null ? $"class {i}" : names[i];
        var ranking = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();

        using var shown = options.InputImage is { } given ? given.Clone() : TensorImages.ToImage(input);
        html.Append("<h2>Input and predictions</h2>\n<figure>").Append(ImageTag(shown, "Input image")).Append("<figcaption>")
            .Append(Encode($"Input ({shown.Width}×{shown.Height})")).Append("</figcaption></figure>\n")
            .Append("<figure><table>\n<thead><tr><th>Rank</th><th>Class</th><th>Output</th></tr></thead>\n<tbody>\n");
        for (var r = 0; r < Math.Min(options.TopPredictions, ranking.Length); r++)
        {
            var i = ranking[r];
            html.Append("<tr><td class=\"n\">").Append((r + 1).ToString(CultureInfo.InvariantCulture)).Append("</td><td>")
                .Append(Encode($"{ClassName(i)} ({i})")).Append("</td><td class=\"n\">")
                .Append(scores[i].ToString("0.0000", CultureInfo.InvariantCulture)).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table></figure>\n");

        if (!model.OutputShape.IsSpatial && GradCam.FindDefaultLayer(model) is not null)
        {
            var target = options.GradCamClass ?? ranking[0];
            var layer = LayerRunner.ResolveSpatial(model, options.GradCamLayer, nameof(options));
            using var cam = GradCam.Compute(model, input, target, new GradCamOptions { LayerName = layer.Name });
            using var overlay = HeatmapOverlay.Render(shown, cam.Maps);
            var empty = cam.Maps.max().item<float>() <= 0
                ? " The map is zero everywhere: no feature map of this layer pushes the class score up (the class is not present in this image, as far as this layer can tell)."
                : string.Empty;
            html.Append("<h2>Grad-CAM and saliency</h2>\n<figure>").Append(ImageTag(overlay, "Grad-CAM overlay")).Append("<figcaption>")
                .Append(Encode($"Grad-CAM: where layer '{layer.Name}' finds evidence for {ClassName(target)} ({target}); jet colours (red = strongest) blended at 40 %, evaluation mode.{empty}"))
                .Append("</figcaption></figure>\n");
            using var saliency = Saliency.Compute(model, input, target);
            using var saliencyImage = HeatmapOverlay.RenderHeatmap(saliency.Maps, Colormap.Inferno);
            html.Append("<figure>").Append(ImageTag(saliencyImage, "Saliency map")).Append("<figcaption>")
                .Append(Encode($"Saliency: |d output / d pixel| for {ClassName(target)} ({target}), the maximum over colour channels; bright = the pixels that change the score most."))
                .Append("</figcaption></figure>\n");
        }

        using var activations = IntermediateModel.FromFeatureMapLayers(model).Run(input);
        html.Append("<h2>Feature maps</h2>\n<p>")
            .Append(Encode($"One tile per channel, row 0 at the top; colormap {options.FeatureMaps.Colormap}, normalisation {options.FeatureMaps.Normalization}. Grey tiles with a diagonal are constant (dead) channels."))
            .Append("</p>\n");
        foreach (var layer in activations.Layers)
        {
            var channels = layer.OutputShape.Channels;
            var gridOptions = options.FeatureMaps.Channels is null && channels > options.MaxChannelsPerLayer
                ? options.FeatureMaps with { Channels = [.. Enumerable.Range(0, options.MaxChannelsPerLayer)] }
                : options.FeatureMaps;
            var (image, low, high, dead, _) = FeatureMapGrid.RenderWithRange(activations[layer.Name], gridOptions, layer);
            using (image)
            {
                var drawn = gridOptions.Channels?.Count ?? channels;
                var range = double.IsNaN(low)
                    ? "each tile stretched from its own minimum (left end of the strip) to its maximum (right end)"
                    : $"strip from {low.ToString("G4", CultureInfo.InvariantCulture)} (left) to {high.ToString("G4", CultureInfo.InvariantCulture)} (right)";
                html.Append("<figure>").Append(ImageTag(image, $"Feature maps of {layer.Name}")).Append("<figcaption>")
                    .Append(Encode($"{layer.Index}: {layer.Name} ({layer.TypeName}) {layer.OutputShape}, {drawn} of {channels} channels, {dead} dead; {range}."))
                    .Append("</figcaption></figure>\n");
            }
        }
    }

    private static void AppendFilters(StringBuilder html, Model model)
    {
        var first = model.Layers.FirstOrDefault(l => l.Options.HasFilters);
        if (first is null || first.InputShape.Channels is not (1 or 3))
        {
            return;
        }

        using var filters = FilterGrid.RenderFirstLayer(model);
        html.Append("<h2>First-layer filters</h2>\n<figure>").Append(ImageTag(filters, $"Kernels of {first.Name}")).Append("<figcaption>")
            .Append(Encode($"The {first.OutputShape.Channels} kernels of {first.Name}, each stretched to its own range."))
            .Append("</figcaption></figure>\n");
    }

    private static string ImageTag(Image<Rgb24> image, string alt)
    {
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return $"<img alt=\"{Encode(alt)}\" width=\"{image.Width}\" height=\"{image.Height}\" src=\"data:image/png;base64,{Convert.ToBase64String(stream.GetBuffer(), 0, (int)stream.Length)}\">";
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
