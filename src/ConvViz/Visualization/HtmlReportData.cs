// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Visualization;

/// <summary>
/// Computes the data of the interactive report as one JSON document. Activations are quantised per channel to bytes
/// (0–254 from the channel's finite minimum to its maximum, 255 = not finite) and embedded as base64; attribution maps
/// likewise. The budget is met by fewer channels per layer first, then by keeping every s-th pixel of each tile.
/// </summary>
internal static class HtmlReportData
{
    private const int MinChannels = 8;
    private const int MinTileSide = 8;

    internal sealed record Result(string Json, IReadOnlyList<string> Reductions, long ActivationBytes, ModelGraphLayout Graph);

    public static Result Build(Model model, IReadOnlyList<HtmlReportImage> images, HtmlReportOptions options)
    {
        using var scope = NewDisposeScope();
        var root = new JsonObject
        {
            ["title"] = options.Title,
            ["inputShape"] = model.InputShape.ToString(),
            ["totalParams"] = model.ParameterCount,
            ["attrW"] = model.InputShape.Width,
            ["attrH"] = model.InputShape.Height,
        };
        var cmaps = new JsonObject();
        foreach (var c in Enum.GetValues<Colormap>())
        {
            var table = ColormapTables.Get(c);
            var bytes = new byte[table.Length * 3];
            for (var i = 0; i < table.Length; i++)
            {
                (bytes[3 * i], bytes[(3 * i) + 1], bytes[(3 * i) + 2]) = (table[i].R, table[i].G, table[i].B);
            }

            cmaps[c.ToString().ToLowerInvariant()] = Convert.ToBase64String(bytes);
        }

        root["cmaps"] = cmaps;

        var selected = SelectLayers(model, options);
        var graph = ModelGraphLayout.Compute(model);
        var layers = new JsonArray();
        foreach (var l in model.Layers)
        {
            var node = graph.Nodes.First(n => n.Layer == l);
            layers.Add(new JsonObject
            {
                ["name"] = l.Name,
                ["index"] = l.Index,
                ["kind"] = l.TypeName,
                ["shape"] = l.OutputShape.ToString(),
                ["params"] = l.ParameterCount,
                ["shown"] = selected.Any(s => s.Name == l.Name),
                ["inputs"] = new JsonArray([.. l.Inputs.Select(i => (JsonNode?)JsonValue.Create(i.Name))]),
                ["row"] = node.Row,
                ["col"] = node.Column,
            });
        }

        root["layers"] = layers;
        root["sequential"] = model.IsSequential;
        root["inputLayer"] = model.Layers.Count > 0 && model.Layers[0].Options.IsModelInput;
        root["graph"] = graph.ToJson();

        // Predictions and attribution maps per image.
        int classCount = 0;
        var imageNodes = new JsonArray();
        var activationSets = new List<ActivationSet>();
        var methods = new JsonArray();
        foreach (var m in options.Attributions)
        {
            methods.Add(JsonValue.Create(m.ToString()));
        }

        root["methods"] = methods;
        var hasCam = !model.OutputShape.IsSpatial && GradCam.FindDefaultLayer(model) is not null;
        var camLayer = hasCam ? LayerRunner.ResolveSpatial(model, options.GradCamLayer, nameof(options)) : null;
        root["camLayer"] = camLayer?.Name;
        try
        {
            foreach (var image in images)
            {
                model.ValidateInput(image.Input);
                if (image.Input.shape[0] != 1)
                {
                    throw new ArgumentException($"HtmlReportImage '{image.Name}' has {image.Input.shape[0]} images in its batch; pass one image as [1, C, H, W].", nameof(options));
                }

                float[] scores;
                using (model.BeginInference("HtmlReport"))
                using (no_grad())
                {
                    scores = TensorData.ToArray(model.Forward(image.Input));
                }

                // A single sigmoid unit is two classes, as PredictClasses reads it: 1 − p for class 0, p for class 1.
                if (scores.Length == 1)
                {
                    scores = [1 - scores[0], scores[0]];
                }

                classCount = scores.Length;
                if (options.ClassNames is { } names && names.Count < scores.Length)
                {
                    throw new ArgumentException($"ClassNames has {names.Count} names but the model has {scores.Length} outputs.", nameof(options));
                }

                using var photo = image.Photo is { } given ? given.Clone() : TensorImages.ToImage(image.Input);
                var node = new JsonObject
                {
                    ["name"] = image.Name,
                    ["photo"] = PngDataUri(photo),
                    ["pw"] = photo.Width,
                    ["ph"] = photo.Height,
                    ["probs"] = new JsonArray([.. scores.Select(s => (JsonNode?)JsonValue.Create(float.IsFinite(s) ? (double?)s : null))]),
                };
                var attr = new JsonObject();
                if (camLayer is not null)
                {
                    foreach (var method in options.Attributions)
                    {
                        var maps = new JsonArray();
                        for (var k = 0; k < scores.Length; k++)
                        {
                            using var map = Attribution(model, image.Input, k, method, camLayer.Name);
                            var (data, low, high) = Quantise(TensorData.ToArray(map));
                            maps.Add(new JsonObject { ["data"] = data, ["min"] = low, ["max"] = high });
                        }

                        attr[method.ToString()] = maps;
                    }
                }

                node["attr"] = attr;
                imageNodes.Add(node);
                activationSets.Add(IntermediateModel.From(model, selected.Select(s => s.Name)).Run(image.Input));
            }

            var names2 = new JsonArray();
            for (var k = 0; k < classCount; k++)
            {
                names2.Add(JsonValue.Create(options.ClassNames is { } n ? n[k] : $"class {k}"));
            }

            root["classes"] = names2;
            root["images"] = imageNodes;
            root["filters"] = Filters(model);
            root["patterns"] = Patterns(model, options);
            root["acts"] = new JsonArray();
            root["notes"] = new JsonArray();
            var fixedSize = (long)root.ToJsonString().Length + 64 * 1024;

            // Budget: channels per layer, then tile stride.
            var maxChannels = selected.Count == 0 ? 0 : selected.Max(s => s.OutputShape.Channels);
            var stride = 1;
            var reductions = new List<string>();
            long Estimate(int channels, int s) => fixedSize + (images.Count * selected.Sum(l =>
                (long)Math.Min(channels, l.OutputShape.Channels) * Ceil(l.OutputShape.Height, s) * Ceil(l.OutputShape.Width, s)) * 4 / 3)
                + (images.Count * selected.Sum(l => (long)Math.Min(channels, l.OutputShape.Channels) * 24));
            var full = Estimate(maxChannels, 1);
            while (Estimate(maxChannels, stride) > options.SizeBudget && maxChannels > MinChannels)
            {
                maxChannels = Math.Max(MinChannels, maxChannels / 2);
            }

            while (Estimate(maxChannels, stride) > options.SizeBudget && selected.Any(l => Ceil(Math.Min(l.OutputShape.Height, l.OutputShape.Width), stride + 1) >= MinTileSide))
            {
                stride++;
            }

            var final = Estimate(maxChannels, stride);
            if (full > options.SizeBudget)
            {
                var ci = CultureInfo.InvariantCulture;
                reductions.Add(
                    string.Create(ci, $"The full data (about {full / 1024} KiB) exceeds the size budget of {options.SizeBudget / 1024} KiB: at most the first {maxChannels} channels per layer are embedded") +
                    (stride > 1 ? string.Create(ci, $", and every {stride}th pixel of each tile (tiles {stride}x smaller a side)") : string.Empty) +
                    (final > options.SizeBudget ? string.Create(ci, $"; even so the page is about {final / 1024} KiB, over budget (fewer images or layers, or a larger HtmlReportOptions.SizeBudget, fix this).") : "."));
            }

            var acts = new JsonArray();
            long activationBytes = 0;
            foreach (var l in selected)
            {
                var shape = l.OutputShape;
                var kept = Math.Min(maxChannels, shape.Channels);
                var layerNode = new JsonObject
                {
                    ["name"] = l.Name,
                    ["c"] = shape.Channels,
                    ["kept"] = kept,
                    ["h"] = Ceil(shape.Height, stride),
                    ["w"] = Ceil(shape.Width, stride),
                    ["fullH"] = shape.Height,
                    ["fullW"] = shape.Width,
                    ["stride"] = stride,
                };
                var perImage = new JsonArray();
                foreach (var set in activationSets)
                {
                    var values = TensorData.ToArray(set[l.Name]);
                    var plane = shape.Height * shape.Width;
                    var data = new List<byte>();
                    var mins = new JsonArray();
                    var maxs = new JsonArray();
                    for (var c = 0; c < kept; c++)
                    {
                        var channel = Subsample(values.AsSpan(c * plane, plane), shape.Height, shape.Width, stride);
                        var (bytes, low, high) = QuantiseBytes(channel);
                        data.AddRange(bytes);
                        mins.Add(JsonValue.Create(low));
                        maxs.Add(JsonValue.Create(high));
                    }

                    activationBytes += data.Count;
                    perImage.Add(new JsonObject { ["data"] = Convert.ToBase64String([.. data]), ["min"] = mins, ["max"] = maxs });
                }

                layerNode["images"] = perImage;
                acts.Add(layerNode);
            }

            root["acts"] = acts;
            root["notes"] = new JsonArray([.. reductions.Select(r => (JsonNode?)JsonValue.Create(r))]);
            return new Result(root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }), reductions, activationBytes, graph);
        }
        finally
        {
            foreach (var set in activationSets)
            {
                set.Dispose();
            }
        }
    }

    private static List<LayerInfo> SelectLayers(Model model, HtmlReportOptions options)
    {
        if (options.Layers is null)
        {
            return [.. model.Layers.Where(IntermediateModel.IsFeatureMapLayer)];
        }

        var result = new List<LayerInfo>();
        foreach (var name in options.Layers)
        {
            var layer = model.Layers.FirstOrDefault(l => l.Name == name)
                ?? throw new ArgumentException($"HtmlReportOptions.Layers names '{name}', which is not a layer of the model; layers with spatial output: {string.Join(", ", model.Layers.Where(l => l.OutputShape.IsSpatial).Select(l => l.Name))}.", nameof(options));
            if (!layer.OutputShape.IsSpatial)
            {
                throw new ArgumentException($"HtmlReportOptions.Layers names '{name}' {layer.OutputShape}, which has no spatial output to draw as channels; choose a convolution or pooling layer.", nameof(options));
            }

            result.Add(layer);
        }

        return result;
    }

    private static Tensor Attribution(Model model, Tensor input, int k, HtmlReportAttribution method, string camLayer)
    {
        using var result = method switch
        {
            HtmlReportAttribution.GradCam => GradCam.Compute(model, input, k, new GradCamOptions { LayerName = camLayer }),
            HtmlReportAttribution.GradCamPlusPlus => GradCamPlusPlus.Compute(model, input, k, new GradCamOptions { LayerName = camLayer }),
            HtmlReportAttribution.Saliency => Saliency.Compute(model, input, k),
            HtmlReportAttribution.SmoothGrad => SmoothGrad.Compute(model, input, k, new SmoothGradOptions()),
            HtmlReportAttribution.IntegratedGradients => IntegratedGradients.Compute(model, input, k, new IntegratedGradientsOptions()),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown attribution method."),
        };

        // A view of the one image's map: it keeps the storage alive after the result is disposed.
        return result.Maps[0];
    }

    private static JsonArray Filters(Model model)
    {
        var result = new JsonArray();
        var first = model.Layers.FirstOrDefault(l => l.Options.HasFilters);
        if (first is not null && first.InputShape.Channels is 1 or 3)
        {
            using var image = FilterGrid.RenderFirstLayer(model);
            result.Add(new JsonObject
            {
                ["layer"] = first.Name,
                ["src"] = PngDataUri(image),
                ["alt"] = $"The {first.OutputShape.Channels} kernels of {first.Name} as colour images",
                ["caption"] = $"The {first.OutputShape.Channels} kernels of {first.Name}, each stretched to its own range.",
            });
        }

        return result;
    }

    private static JsonArray Patterns(Model model, HtmlReportOptions options)
    {
        var result = new JsonArray();
        var s = HtmlReport.PatternSettingsFor(model, options);
        foreach (var name in options.PatternLayers)
        {
            var layer = model.Layers.FirstOrDefault(l => l.Name == name && l.Options.HasFilters)
                ?? throw new ArgumentException($"HtmlReportOptions.PatternLayers names '{name}', which is not a layer with filters (such as Conv2D) of the model; layers with filters: {string.Join(", ", model.Layers.Where(l => l.Options.HasFilters).Select(l => l.Name))}.", nameof(options));
            var channels = Enumerable.Range(0, Math.Min(options.PatternChannels, layer.OutputShape.Channels)).ToArray();
            using var run = ActivationMaximization.RunLayer(model, name, channels, s);
            using var image = FilterGrid.RenderPatterns(model, run);
            var gains = string.Join(", ", channels.Select((c, i) => string.Create(CultureInfo.InvariantCulture, $"{c}: {run.InitialActivations[i]:G3} → {run.FinalActivations[i]:G3}")));
            result.Add(new JsonObject
            {
                ["layer"] = name,
                ["src"] = PngDataUri(image),
                ["alt"] = $"Activation-maximisation patterns of channels 0 to {channels.Length - 1} of {name}",
                ["caption"] = string.Create(CultureInfo.InvariantCulture,
                    $"Inputs that excite channels 0–{channels.Length - 1} of {name} (layer {layer.Index}, R index {layer.Index + 1}): gradient ascent on the channel's mean activation, {run.StepsRun} steps of size {s.StepSize} from seeded noise (amplitude {s.NoiseAmplitude}, seed {s.Seed}) in [{s.InputMin}, {s.InputMax}]; regularisation: jitter {s.Jitter} px, Gaussian blur sigma {s.BlurSigma} every {s.BlurEvery} steps, decay {s.Decay}. Mean activation before → after: {gains}."),
            });
        }

        return result;
    }

    private static int Ceil(int n, int s) => (n + s - 1) / s;

    private static float[] Subsample(ReadOnlySpan<float> plane, int h, int w, int s)
    {
        if (s == 1)
        {
            return plane.ToArray();
        }

        int oh = Ceil(h, s), ow = Ceil(w, s);
        var result = new float[oh * ow];
        for (var y = 0; y < oh; y++)
        {
            for (var x = 0; x < ow; x++)
            {
                result[(y * ow) + x] = plane[(y * s * w) + (x * s)];
            }
        }

        return result;
    }

    private static (string Data, double Min, double Max) Quantise(float[] values)
    {
        var (bytes, low, high) = QuantiseBytes(values);
        return (Convert.ToBase64String(bytes), low, high);
    }

    /// <summary>0–254 from the finite minimum to the finite maximum; 255 marks a non-finite value.</summary>
    internal static (byte[] Bytes, double Min, double Max) QuantiseBytes(float[] values)
    {
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                low = Math.Min(low, v);
                high = Math.Max(high, v);
            }
        }

        if (double.IsInfinity(low))
        {
            (low, high) = (0, 0);
        }

        var range = high - low;
        var bytes = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            bytes[i] = !float.IsFinite(v) ? (byte)255 : range > 0 ? (byte)Math.Round((v - low) / range * 254) : (byte)0;
        }

        return (bytes, low, high);
    }

    private static string PngDataUri(Image<Rgb24> image)
    {
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return "data:image/png;base64," + Convert.ToBase64String(stream.GetBuffer(), 0, (int)stream.Length);
    }
}
