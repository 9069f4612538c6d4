// Copyright (c) ConvViz contributors. Licensed under the MIT License.

// The blog "Convolutional Neural Network under the Hood" as one C# file, the closest thing to its R script:
//
//   dotnet run samples/blog/blog.cs                        # bundled demo data (boots vs. sneakers), 8 epochs
//   dotnet run samples/blog/blog.cs -- --data ~/Downloads/train   # Kaggle Dogs vs. Cats: the blog itself, 100 epochs
//   options: --epochs N, --output <folder> (default ./blog-output)
//
// On Debian 12 / Ubuntu 22.04 prefix it with `sudo eng/run-with-libtorch.sh` (see README).
// From a clone it builds the library from source. In your own folder, use the package instead:
//   #:package ConvViz@0.2.0
//   #:package libtorch-cpu-linux-x64@2.10.0
#:project ../../src/ConvViz/ConvViz.csproj
#:property ConvVizNeedsNativeBackend=true

using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using ConvViz.Visualization;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

var kaggle = Option("--data");
var epochs = int.Parse(Option("--epochs") ?? (kaggle is null ? "8" : "100"), System.Globalization.CultureInfo.InvariantCulture);
var output = Path.GetFullPath(Option("--output") ?? "blog-output");
var here = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Path.Combine(Directory.GetCurrentDirectory(), "samples", "blog");
var bundled = Path.GetFullPath(Path.Combine(here, "..", "data"));
Directory.CreateDirectory(output);

// R: file.copy(file.path(original_dir, fnames), file.path(train_cats_dir)) for cat.1-2000 and dog.1-2000 (training),
// 2001-3000 (test). The bundled demo folder holds 500 boots and 500 sneakers: 1-400 and 401-500.
var source = kaggle is null ? Path.Combine(bundled, "fashion-shoes") : Path.GetFullPath(kaggle);
var catPhoto = kaggle is null ? Path.Combine(bundled, "chelsea.png") : Path.Combine(source, "cat.2001.jpg");
var (lastTrain, lastTest) = kaggle is null ? (400, 500) : (2000, 3000);
var splitRoot = Path.Combine(output, "data");
DatasetSplitter.Split(new DatasetSplitOptions
{
    SourceDirectory = source,
    DestinationDirectory = splitRoot,
    Splits = [DatasetSplit.ByFileNumbers("train", 1, lastTrain), DatasetSplit.ByFileNumbers("test", lastTrain + 1, lastTest)],
});  // a second run keeps the files already copied, as R's file.copy does

// R: image_data_generator(rotation_range = 40, width_shift_range = 0.2, height_shift_range = 0.2, shear_range = 0.2,
//    zoom_range = 0.2, horizontal_flip = TRUE, fill_mode = "nearest", samplewise_std_normalization = TRUE)
var preprocessing = new ImagePreprocessing { TargetHeight = 150, TargetWidth = 150, SamplewiseStdNormalization = true };
var augmenter = new Augmenter(new AugmentationOptions
{
    RotationRange = 40,
    WidthShiftRange = 0.2,
    HeightShiftRange = 0.2,
    ShearRange = 0.2,
    ZoomRange = AugmentationRange.Zoom(0.2),
    HorizontalFlip = true,
    FillMode = FillMode.Nearest,
});

// R: flow_images_from_directory(train_dir, generator, target_size = c(150, 150), batch_size = 50, class_mode = "categorical")
using var train = new ImageFolderDataset(new ImageFolderDatasetOptions
{
    Directory = Path.Combine(splitRoot, "train"),
    Preprocessing = preprocessing,
    Augmenter = augmenter,
    ClassMode = ClassMode.Categorical,
    BatchSize = 50,
    Shuffle = true,
    Seed = 42,
});
using var test = new ImageFolderDataset(new ImageFolderDatasetOptions
{
    Directory = Path.Combine(splitRoot, "test"),
    Preprocessing = preprocessing,
    ClassMode = ClassMode.Categorical,
    BatchSize = 50,
    Shuffle = false,
});
Console.WriteLine($"Found {train.SampleCount} images belonging to {train.ClassNames.Count} classes.");
Console.WriteLine($"Found {test.SampleCount} images belonging to {test.ClassNames.Count} classes.");

// R: keras_model_sequential() %>% layer_conv_2d(8, c(3, 3), activation = "relu", input_shape = c(150, 150, 3)) %>% ...
using var model = new SequentialBuilder(150, 150, 3)
    .WithSeed(42)
    .AddConv2D(8, 3, Activation.ReLU).AddConv2D(16, 3, Activation.ReLU).AddMaxPooling2D(2)
    .AddConv2D(32, 3, Activation.ReLU).AddMaxPooling2D(2)
    .AddConv2D(64, 3, Activation.ReLU).AddMaxPooling2D(2)
    .AddConv2D(16, 3, Activation.ReLU).AddFlatten()
    .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
    .AddDense(128, Activation.ReLU).AddDense(128, Activation.ReLU).AddDropout(0.3)
    .AddDense(256, Activation.ReLU).AddDense(256, Activation.ReLU).AddDropout(0.3)
    .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
    .AddDense(32, Activation.ReLU).AddDense(2, Activation.Softmax)
    .Build();
Console.WriteLine(model.Summary());

// R: compile(loss = "binary_crossentropy", optimizer = optimizer_adamax(lr = 0.001), metrics = "accuracy");
//    fit_generator(train_generator, epochs = 100, validation_data = test_generator, validation_steps = 10)
model.Compile(Loss.BinaryCrossentropy, OptimizerOptions.Adamax(0.001), Metric.Accuracy);
var history = model.Fit(train, new FitOptions { Epochs = epochs, ValidationData = test, ValidationSteps = kaggle is null ? null : 10, Seed = 42 });
model.Save(Path.Combine(output, "model.safetensors"));

// R: layer_output <- get_layer(model, index = 6)$output; activation_model <- keras_model(model$input, layer_output)
//    activations <- predict(activation_model, img_tensor); then one plot per filter
using var scope = NewDisposeScope();
var cat = model.LoadImage(catPhoto);
var predicted = model.PredictClasses(cat)[0];
Console.WriteLine($"{Path.GetFileName(catPhoto)}: '{predicted.ClassName}' with probability {predicted.Probability:F3}");
var layer6 = model.Layers[5]; // R's index = 6 is 1-based
using var activations = IntermediateModel.From(model, layer6.Index).Run(cat);
var gridPath = activations.SaveGrids(output)[0]; // layer6-conv2d_3.png: layer{R index}-{name}.png

// Beyond the blog: where the network looked (Grad-CAM, on the photo, for the predicted class), and an explorable
// report of every layer (class names and the patterns' input range come from the model).
var gradCamPath = Path.Combine(output, "grad-cam.png");
HeatmapOverlay.SaveGradCam(model, catPhoto, gradCamPath);

var reportPath = Path.Combine(output, "report.html");
using var shown = model.LoadImageForDisplay(catPhoto); // the photo as the model sees it, before standardisation
HtmlReport.Save(model, reportPath, new HtmlReportOptions
{
    Title = "The blog's CNN, under the hood",
    Images = [new HtmlReportImage(Path.GetFileName(catPhoto), cat, shown)],
    HistorySvg = HistoryPlot.ToSvg(history),
    PatternLayers = [layer6.Name],
});

Console.WriteLine($"Layer 6 ({layer6.Name}, {layer6.OutputShape}) feature maps: {gridPath}");
Console.WriteLine($"Grad-CAM for '{predicted.ClassName}': {gradCamPath}");
Console.WriteLine($"Explorable report (open it in a browser): {reportPath}");
