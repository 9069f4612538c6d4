// Copyright (c) ConvViz contributors. Licensed under the MIT License.

// The blog "Convolutional Neural Network under the Hood" (R-bloggers, Feb 2020), start to finish, in C#:
// split the data, build and train the blog's CNN with its augmentation, then look inside it (feature maps of
// layers 2, 3 and 6, Grad-CAM, filters) and write everything to one folder.
using System.Diagnostics;
using ConvViz;
using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Samples.CatsVsDogs;
using ConvViz.Training;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

SampleArguments arguments;
try
{
    arguments = SampleArguments.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(SampleArguments.Usage);
    return 2;
}

if (arguments.ShowHelp)
{
    Console.WriteLine(SampleArguments.Usage);
    return 0;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
    Console.Error.WriteLine("Stopping after the current batch…");
};

try
{
    Run(arguments, cancellation.Token);
    return 0;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Cancelled.");
    return 130;
}
catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or NativeBackendMissingException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static void Run(SampleArguments arguments, CancellationToken cancellationToken)
{
    var total = Stopwatch.StartNew();
    var output = Path.GetFullPath(arguments.OutputDirectory);
    Directory.CreateDirectory(output);

    // 1. The data: a flat Kaggle-style folder, split by file number exactly like the blog.
    string source, catPhoto;
    DatasetSplit train, test;
    if (arguments.DataDirectory is { } kaggle)
    {
        source = Path.GetFullPath(kaggle);
        catPhoto = Path.Combine(source, "cat.2001.jpg"); // the blog's cat, the first test image
        train = DatasetSplit.ByFileNumbers("train", 1, 2000);
        test = DatasetSplit.ByFileNumbers("test", 2001, 3000);
        Console.WriteLine($"Data: Kaggle Dogs vs. Cats in {source}");
    }
    else
    {
        var bundled = BundledData.FindDirectory();
        source = Path.Combine(bundled, "fashion-shoes");
        catPhoto = Path.Combine(bundled, "chelsea.png");
        train = DatasetSplit.ByFileNumbers("train", 1, 400);
        test = DatasetSplit.ByFileNumbers("test", 401, 500);
        Console.WriteLine($"Data: bundled demo (Fashion-MNIST ankle boots vs. sneakers, 28×28 grey) in {source}");
        Console.WriteLine("      pass --data <Kaggle Dogs vs. Cats train folder> for the blog's cats and dogs");
    }

    var splitRoot = Path.Combine(output, arguments.DataDirectory is null ? "data-demo" : "data-kaggle"); // {split}/{class}/ folders
    var split = DatasetSplitter.Split(
        new DatasetSplitOptions
        {
            SourceDirectory = source,
            DestinationDirectory = splitRoot,
            Splits = [train, test], // a second run skips the identical files copied before
        },
        cancellationToken);
    Console.WriteLine($"Split {train} and {test} into {splitRoot}: {split.CopiedCount} copied, {split.SkippedExistingCount} already there.");
    foreach (var name in split.Splits)
    {
        Console.WriteLine($"  {name,-5} " + string.Join(", ", split.Classes.Select(c => $"{c}: {split.Count(name, c)}")));
    }

    // 2. The blog's generators: augmentation for training, the same per-image standardisation for both.
    // The blog's 150×150 input, so every layer has the blog's shape: on the bundled 28×28 images the network learns to
    // ~93% in 8 epochs (about 35 s of training on 2 cores with channels-last and the allocator tuning).
    var size = arguments.ImageSize ?? 150;
    var preprocessing = new ImagePreprocessing
    {
        TargetHeight = size,
        TargetWidth = size,
        ColorMode = ColorMode.Rgb,
        SamplewiseStdNormalization = true, // samplewise_std_normalization = TRUE (implies samplewise centring)
    };
    var augmenter = new Augmenter(new AugmentationOptions
    {
        RotationRange = 40,
        WidthShiftRange = 0.2,
        HeightShiftRange = 0.2,
        ShearRange = 0.2, // degrees, as in every Keras since 2.1.3: the blog's 0.2 is a ±0.2° shear
        ZoomRange = AugmentationRange.Zoom(0.2),
        HorizontalFlip = true,
        FillMode = FillMode.Nearest,
    });

    using var trainData = new ImageFolderDataset(new ImageFolderDatasetOptions
    {
        Directory = Path.Combine(splitRoot, "train"),
        Preprocessing = preprocessing,
        Augmenter = augmenter,
        ClassMode = ClassMode.Categorical,
        BatchSize = 50,
        Shuffle = true,
        Seed = arguments.Seed,
        CacheImages = true,
    });
    using var testData = new ImageFolderDataset(new ImageFolderDatasetOptions
    {
        Directory = Path.Combine(splitRoot, "test"),
        Preprocessing = preprocessing,
        ClassMode = ClassMode.Categorical,
        BatchSize = 50,
        Shuffle = false,
        CacheImages = true,
    });
    if (!File.Exists(catPhoto))
    {
        throw new FileNotFoundException($"The photo to inspect, '{catPhoto}', does not exist. The blog uses cat.2001.jpg from Kaggle's train folder.", catPhoto);
    }

    var written = new List<(string What, string Path)>();
    var previewPath = Path.Combine(output, "augmentation-preview.png");
    AugmentationGrid.Save(augmenter, preprocessing, [trainData.FilePaths[0], trainData.FilePaths[^1]], previewPath, variants: 4, arguments.Seed);
    written.Add(("augmentation preview (left: as loaded; right: four random augmentations)", previewPath));
    Console.WriteLine($"Found {trainData.SampleCount} training images and {testData.SampleCount} test images belonging to {trainData.ClassNames.Count} classes ({string.Join(", ", trainData.ClassNames)}).");

    // 3. The blog's model.
    using var model = new SequentialBuilder(size, size, 3)
        .WithSeed(arguments.Seed)
        .AddConv2D(8, 3, Activation.ReLU)
        .AddConv2D(16, 3, Activation.ReLU)
        .AddMaxPooling2D(2)
        .AddConv2D(32, 3, Activation.ReLU)
        .AddMaxPooling2D(2)
        .AddConv2D(64, 3, Activation.ReLU)
        .AddMaxPooling2D(2)
        .AddConv2D(16, 3, Activation.ReLU)
        .AddFlatten()
        .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
        .AddDense(128, Activation.ReLU).AddDense(128, Activation.ReLU).AddDropout(0.3)
        .AddDense(256, Activation.ReLU).AddDense(256, Activation.ReLU).AddDropout(0.3)
        .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
        .AddDense(32, Activation.ReLU)
        .AddDense(2, Activation.Softmax)
        .Build();
    model.Compile(Loss.BinaryCrossentropy, OptimizerOptions.Adamax(learningRate: 0.001), Metric.Accuracy);
    Console.WriteLine();
    Console.WriteLine(model.Summary());

    // 4. Training, with the library's Keras-style progress bar per epoch (one line per epoch when the output is
    //    redirected). Fit also gives the model the training data's preprocessing and class names, saved with it.
    var epochs = arguments.Epochs ?? (arguments.DataDirectory is null ? 8 : 100); // the blog: 100 epochs
    var trainClock = Stopwatch.StartNew();
    var history = model.Fit(
        trainData,
        new FitOptions
        {
            Epochs = epochs,
            ValidationData = testData,
            ValidationSteps = arguments.DataDirectory is null ? null : 10, // the blog's validation_steps = 10
            Verbosity = TrainingVerbosity.Auto,
            Seed = arguments.Seed,
        },
        cancellationToken);
    trainClock.Stop();
    Console.WriteLine($"Trained {history.Count} epochs in {trainClock.Elapsed.TotalSeconds:F0} s.");
    Console.WriteLine(history);

    var evaluation = model.Evaluate(testData, cancellationToken: cancellationToken);
    Console.WriteLine("Test set: " + string.Join(", ", evaluation.Select(kv => $"{kv.Key} {kv.Value:F4}")));

    var modelPath = Path.Combine(output, "model.safetensors");
    model.Save(modelPath);
    written.Add(("model (architecture, preprocessing, class names, weights)", modelPath));
    var onnxPath = model.ExportOnnx(Path.Combine(output, "model.onnx"), new OnnxExportOptions { IncludePreprocessing = model.Preprocessing is not null });
    written.Add(("model for ONNX Runtime (raw 0-255 pixels in; see docs/deploying.md)", onnxPath));
    var historyCsv = Path.Combine(output, "history.csv");
    history.SaveCsv(historyCsv);
    written.Add(("training history (CSV)", historyCsv));
    var historySvg = Path.Combine(output, "history.svg");
    var svg = HistoryPlot.ToSvg(history, new HistoryPlotOptions { Title = "Training history" });
    File.WriteAllText(historySvg, svg);
    written.Add(("training history (SVG chart)", historySvg));

    // 5. Under the hood: the cat photo, with the model's own (training-time) preprocessing.
    Console.WriteLine();
    using var scope = NewDisposeScope();
    var input = model.LoadImage(catPhoto); // decode, resize, samplewise standardisation: the training-time steps
    using var shown = model.LoadImageForDisplay(catPhoto); // the same steps before standardisation, for display
    var top = model.PredictClasses(input)[0];
    Console.WriteLine($"{Path.GetFileName(catPhoto)}: predicted '{top.ClassName}' with probability {top.Probability:F3}" +
        (arguments.DataDirectory is null ? " (the demo model knows only boots and sneakers; the cat is here for its feature maps)." : "."));

    // R's get_layer(model, index = k) is 1-based; ConvViz layer indices are 0-based (index k - 1).
    int[] rLayers = [2, 3, 6];
    using var activations = IntermediateModel.From(model, rLayers.Select(r => r - 1)).Run(input);
    foreach (var r in rLayers)
    {
        var layer = model.Layers[r - 1];
        var maps = activations.GetByIndex(layer.Index);
        var path = Path.Combine(output, $"feature-maps-layer{r}-{layer.Name}.png");
        FeatureMapGrid.SaveForLayer(maps, layer, path, new FeatureMapGridOptions { ColorBar = ColorBarMode.Always });
        Console.WriteLine($"R get_layer(index = {r}) = ConvViz layer {layer.Index} '{layer.Name}' ({layer.TypeName}): output {layer.OutputShape}");
        written.Add(($"feature maps of layer {r} (R) / {layer.Index} (0-based), {layer.Name}", path));
    }

    var gradCamPath = Path.Combine(output, "grad-cam.png");
    HeatmapOverlay.SaveGradCam(model, catPhoto, gradCamPath); // the predicted class, top
    written.Add(($"Grad-CAM overlay for '{top.ClassName}' (last Conv2D layer), on the photo at its own size", gradCamPath));
    var filtersPath = Path.Combine(output, "filters-layer1.png");
    FilterGrid.SaveFirstLayer(model, filtersPath, new FilterGridOptions { Scale = 8 });
    written.Add(("filters of the first Conv2D layer", filtersPath));

    // The report compares images: the cat, the first test image of each class and the first misclassified test image.
    var reportImages = new List<HtmlReportImage> { new(Path.GetFileName(catPhoto), input, shown) };
    var photos = new List<Image<Rgb24>>();
    void AddTestImage(string label, string file)
    {
        var photo = model.LoadImageForDisplay(file);
        photos.Add(photo);
        reportImages.Add(new HtmlReportImage($"{label}: {Path.GetFileName(file)}", model.LoadImage(file), photo));
    }

    for (var c = 0; c < testData.ClassNames.Count; c++)
    {
        var first = Enumerable.Range(0, testData.FilePaths.Count).First(i => testData.FileLabels[i] == c);
        AddTestImage($"test {testData.ClassNames[c]}", testData.FilePaths[first]);
    }

    for (var i = 0; i < testData.FilePaths.Count; i++)
    {
        ClassPrediction predicted;
        using (NewDisposeScope())
        {
            predicted = model.PredictClasses(model.LoadImage(testData.FilePaths[i]))[0];
        }

        if (predicted.ClassIndex != testData.FileLabels[i])
        {
            AddTestImage($"misclassified {testData.ClassNames[testData.FileLabels[i]]} as {predicted.ClassName}", testData.FilePaths[i]);
            break;
        }
    }

    var reportPath = Path.Combine(output, "report.html");
    HtmlReport.Save(model, reportPath, new HtmlReportOptions
    {
        Title = arguments.DataDirectory is null ? "ConvViz: the blog's CNN on the bundled demo data" : "ConvViz: the blog's CNN on Dogs vs. Cats",
        Images = reportImages,
        HistorySvg = svg,
        PatternLayers = [model.Layers[5].Name], // R's get_layer(index = 6)
        SizeBudget = 8 << 20, // four images with every channel of every layer: about 6.5 MB
        // Class names and the patterns' input range (about ±2.5 for these standardised images) come from the model.
    });
    foreach (var photo in photos)
    {
        photo.Dispose();
    }

    written.Add(("one-file HTML report (open it in a browser)", reportPath));

    Console.WriteLine();
    Console.WriteLine($"Done in {total.Elapsed.TotalSeconds:F0} s. Written:");
    foreach (var (what, path) in written)
    {
        Console.WriteLine($"  {what}:");
        Console.WriteLine($"    {path}");
    }
}
