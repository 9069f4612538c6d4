// Copyright (c) ConvViz contributors. Licensed under the MIT License.

// Looks inside an already-saved model (for example the CatsVsDogs sample's model.safetensors, or a Keras model:
// Keras 2 / Keras 3 .h5 or a Keras 3 .keras archive) on any image: feature-map grids of chosen layers, filter grids,
// Grad-CAM, saliency and the one-file HTML report.
using System.Globalization;
using ConvViz;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using static TorchSharp.torch;

const string Usage = """
    Usage: ConvViz.Samples.Inspect <model.safetensors|model.h5|model.keras> <image> [options]

      --layer <index|name>  A layer to draw feature maps of: a 0-based index (as model.Layers), r:<k> for R's
                            1-based get_layer(index = k), or a layer name such as conv2d_3. Repeatable.
                            Default: every Conv2D and MaxPooling2D layer.
      --class <index>       The output unit Grad-CAM and saliency explain (default: the top prediction).
      --patterns <layer>    Activation maximisation: the input patterns that most excite the first 16 channels of a
                            Conv2D or pooling layer (same layer syntax as --layer). Repeatable. Takes a few seconds
                            per layer.
      --rescale <factor>    For Keras files, which carry no preprocessing: resize to the model's input and
                            multiply the pixels by this factor, as image_data_generator(rescale = 1/255) did
                            (for example 0.00392156862745098).
      --out <folder>        Output folder (default: ./convviz-inspect).
    """;

if (args.Length < 2 || args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Usage);
    return args.Length < 2 && !args.Contains("--help") && !args.Contains("-h") ? 2 : 0;
}

var modelPath = args[0];
var imagePath = args[1];
var layerArguments = new List<string>();
var patternArguments = new List<string>();
int? classArgument = null;
double? rescale = null;
var output = "convviz-inspect";
for (var i = 2; i < args.Length; i++)
{
    if (i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"Option '{args[i]}' needs a value.\n{Usage}");
        return 2;
    }

    switch (args[i])
    {
        case "--layer":
            layerArguments.Add(args[++i]);
            break;
        case "--patterns":
            patternArguments.Add(args[++i]);
            break;
        case "--class" when int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var c):
            classArgument = c;
            i++;
            break;
        case "--rescale" when double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r > 0:
            rescale = r;
            i++;
            break;
        case "--out":
            output = args[++i];
            break;
        default:
            Console.Error.WriteLine($"Unknown option or bad value: '{args[i]} {args[i + 1]}'.\n{Usage}");
            return 2;
    }
}

try
{
    Inspect(modelPath, imagePath, layerArguments, patternArguments, classArgument, rescale, Path.GetFullPath(output));
    return 0;
}
catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException or KeyNotFoundException or UnauthorizedAccessException or NativeBackendMissingException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static void Inspect(string modelPath, string imagePath, IReadOnlyList<string> layerArguments, IReadOnlyList<string> patternArguments, int? classArgument, double? rescale, string output)
{
    // Model.Load recognises ConvViz files, Keras HDF5 (.h5) and Keras 3 archives (.keras) by their content.
    using var model = Model.Load(modelPath);
    Console.WriteLine($"Model {modelPath}: {model.Layers.Count} layers, {model.ParameterCount:N0} parameters, input {model.InputLayerShape}.");
    foreach (var layer in model.Layers)
    {
        Console.WriteLine($"  {layer.Index,2} (R {layer.Index + 1,2})  {layer.Name,-16} {layer.TypeName,-18} {layer.OutputShape}");
    }

    // A model that takes vectors (R keras' MNIST layer_dense(input_shape = c(784))) has no feature maps to draw.
    if (!model.InputLayerShape.IsSpatial)
    {
        Console.WriteLine($"The model takes vectors {model.InputLayerShape}, not images: it has no feature maps, patterns or Grad-CAM to draw. Predict on [N, features] tensors instead.");
        return;
    }

    if (rescale is { } factor)
    {
        model.Preprocessing = model.GetImagePreprocessing() with { Rescale = factor };
    }

    // The preprocessing the model was trained with travels in the file; without it, the model falls back to a plain resize.
    if (model.Preprocessing is null)
    {
        Console.WriteLine("The model file has no preprocessing; using a plain resize to the input size without standardisation.");
    }

    Directory.CreateDirectory(output);
    var written = new List<string>();
    using var scope = NewDisposeScope();
    var input = model.LoadImage(imagePath);
    using var shown = model.LoadImageForDisplay(imagePath); // the photo as the model sees it, before standardisation

    var layers = layerArguments.Count == 0
        ? [.. model.Layers.Where(l => l.Options is Conv2DOptions or MaxPooling2DOptions)]
        : layerArguments.Select(a => Resolve(model, a)).ToList();
    using (var activations = IntermediateModel.From(model, layers.Select(l => l.Index)).Run(input))
    {
        foreach (var layer in layers)
        {
            var maps = activations.GetByIndex(layer.Index);
            if (maps.dim() != 4)
            {
                Console.WriteLine($"Layer {layer.Index} '{layer.Name}' outputs {layer.OutputShape}, not feature maps; skipped.");
                continue;
            }

            var path = Path.Combine(output, $"feature-maps-{layer.Index:D2}-{layer.Name}.png");
            FeatureMapGrid.SaveForLayer(maps, layer, path, new FeatureMapGridOptions { ColorBar = ColorBarMode.Always });
            written.Add(path);
        }
    }

    foreach (var conv in model.Layers.Where(l => l.Options is Conv2DOptions))
    {
        var path = Path.Combine(output, $"filters-{conv.Index:D2}-{conv.Name}.png");
        using var filters = conv == model.Layers.First(l => l.Options is Conv2DOptions)
            ? FilterGrid.RenderFirstLayer(model, new FilterGridOptions { Scale = 8 })
            : FilterGrid.RenderLayer(model, conv.Name, new FilterGridOptions { Scale = 4, MaxFilters = 16, MaxInputChannels = 16 });
        filters.SaveAsPng(path);
        written.Add(path);
    }

    foreach (var layer in patternArguments.Select(a => Resolve(model, a)))
    {
        written.Add(SavePatterns(model, layer, output));
    }

    if (!model.OutputShape.IsSpatial)
    {
        var predictions = model.PredictClasses(input);
        var top = predictions[0];
        Console.WriteLine($"Prediction: '{top.ClassName ?? top.ClassIndex.ToString(CultureInfo.InvariantCulture)}' ({top.Probability:F3}).");
        var classIndex = classArgument ?? top.ClassIndex;
        if (classIndex >= model.OutputShape.Channels)
        {
            throw new ArgumentException($"--class {classIndex} is out of range: the model has {model.OutputShape.Channels} outputs (0 to {model.OutputShape.Channels - 1}).");
        }

        using var gradCam = GradCam.Compute(model, input, classIndex);
        var gradCamPath = Path.Combine(output, $"grad-cam-class{classIndex}.png");
        // Drawn on the photo at its own size: the model saw it squashed to its input size, so the map stretches back.
        // A photo smaller than the model's input (a 28×28 shoe) is drawn at the input size instead, where it is legible.
        var photoSize = Image.Identify(imagePath);
        var small = photoSize.Width < model.InputShape.Width && photoSize.Height < model.InputShape.Height;
        if (small)
        {
            HeatmapOverlay.Save(shown, gradCam.Maps, gradCamPath);
        }
        else
        {
            HeatmapOverlay.SaveOnPhoto(imagePath, gradCam.Maps, gradCamPath);
        }

        written.Add(gradCamPath);
        using var saliency = Saliency.Compute(model, input, classIndex);
        var saliencyPath = Path.Combine(output, $"saliency-class{classIndex}.png");
        HeatmapOverlay.SaveHeatmap(saliency.Maps, saliencyPath, Colormap.Inferno);

        written.Add(saliencyPath);
    }

    var reportPath = Path.Combine(output, "report.html");
    HtmlReport.Save(model, reportPath, new HtmlReportOptions
    {
        Title = $"ConvViz: {Path.GetFileName(modelPath)} on {Path.GetFileName(imagePath)}",
        Input = input,
        InputImage = shown,
        GradCamClass = classArgument,
    });
    written.Add(reportPath);

    Console.WriteLine($"Written to {output}:");
    foreach (var path in written)
    {
        Console.WriteLine($"  {Path.GetFileName(path)}");
    }
}

// Chollet's recipe ("what convnets learn"): gradient ascent on the mean activation of one channel, from grey noise,
// with the gradient normalised to unit RMS; the image is kept inside the range the model was trained on.
static string SavePatterns(Model model, LayerInfo layer, string output)
{
    var settings = PatternSettings(model);
    var channels = Enumerable.Range(0, Math.Min(16, layer.OutputShape.Channels)).ToArray();
    Console.WriteLine($"Activation maximisation of {layer.Name}, channels 0-{channels[^1]}: {settings.Steps} steps of {settings.StepSize} × the input range, " +
                      $"starting noise ±{settings.NoiseAmplitude} of the range, input clamped to [{settings.InputMin:0.###}, {settings.InputMax:0.###}]; " +
                      $"regularised by jitter ±{settings.Jitter} px, Gaussian blur σ = {settings.BlurSigma} px every {settings.BlurEvery} steps and decay {settings.Decay} per step.");
    using var result = ActivationMaximization.RunLayer(model, layer.Name, channels, settings);
    Console.WriteLine($"  mean activation before → after: {result.InitialActivations.Average():F3} → {result.FinalActivations.Average():F3}");
    var path = Path.Combine(output, $"patterns-{layer.Index:D2}-{layer.Name}.png");
    FilterGrid.SavePatterns(model, result, path, new PatternGridOptions { Columns = 8 });
    return path;
}

static ActivationMaximizationOptions PatternSettings(Model model)
{
    // The range of the inputs the model was trained on, after its own preprocessing: about ±2.5 standard deviations
    // for standardised images (the samples' samplewise_std_normalization), otherwise 0 to 255 × rescale. Without
    // preprocessing this sample feeds the model plain 0–255 pixels.
    var settings = new ActivationMaximizationOptions
    {
        Steps = 160, StepSize = 0.02, NoiseAmplitude = 0.1, Seed = 1,
        Jitter = 4, BlurSigma = 1.0, BlurEvery = 4, Decay = 0.01,
    };
    return model.Preprocessing is null ? settings with { InputMax = 255 } : settings.WithInputRangeOf(model);
}

static LayerInfo Resolve(Model model, string argument)
{
    if (argument.StartsWith("r:", StringComparison.OrdinalIgnoreCase)
        && int.TryParse(argument.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var rIndex))
    {
        return rIndex >= 1 && rIndex <= model.Layers.Count
            ? model.Layers[rIndex - 1]
            : throw new ArgumentException($"R layer index {rIndex} is out of range: R's get_layer counts 1 to {model.Layers.Count}.");
    }

    if (int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
    {
        return index < model.Layers.Count
            ? model.Layers[index]
            : throw new ArgumentException($"Layer index {index} is out of range: the model has layers 0 to {model.Layers.Count - 1} (0-based).");
    }

    return model.Layers.FirstOrDefault(l => l.Name == argument)
        ?? throw new ArgumentException($"The model has no layer '{argument}'. Its layers: {string.Join(", ", model.Layers.Select(l => l.Name))}.");
}
