// Copyright (c) ConvViz contributors. Licensed under the MIT License.

// Look inside a pretrained network, and build on it: the ImageNet ResNet18 of NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18
// as a feature extractor with a new head (Deep Learning with R, 5.3, "feature extraction without data augmentation").
//
//   dotnet run --project samples/ConvViz.Samples.Pretrained                        # bundled demo data (boots vs. sneakers)
//   dotnet run --project samples/ConvViz.Samples.Pretrained -- --data ~/Downloads/train   # Kaggle Dogs vs. Cats, 1-2000 / 2001-3000
//   options: --epochs N (head, default 30), --output <folder> (default ./pretrained-output), --resnet <ResNet18.onnx>
//
// On Debian 12 / Ubuntu 22.04 prefix it with `sudo eng/run-with-libtorch.sh` (see README). The 64 MB model is not part
// of ConvViz: the project's PackageDownload puts it in the NuGet cache, where PretrainedModels.ResNet18() finds it.

using System.Diagnostics;
using ConvViz.Data;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using ConvViz.Visualization;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

var kaggle = Option("--data");
var epochs = int.Parse(Option("--epochs") ?? "30", System.Globalization.CultureInfo.InvariantCulture);
var output = Path.GetFullPath(Option("--output") ?? "pretrained-output");
var bundled = FindBundledData();
Directory.CreateDirectory(output);

// The same split as the blog: cats and dogs 1-2000 to train on, 2001-3000 to test; bundled shoes 1-400 and 401-500.
var source = kaggle is null ? Path.Combine(bundled, "fashion-shoes") : Path.GetFullPath(kaggle);
var catPhoto = kaggle is null ? Path.Combine(bundled, "chelsea.png") : Path.Combine(source, "cat.2001.jpg");
var (lastTrain, lastTest) = kaggle is null ? (400, 500) : (2000, 3000);
var splitRoot = Path.Combine(output, "data");
DatasetSplitter.Split(new DatasetSplitOptions
{
    SourceDirectory = source,
    DestinationDirectory = splitRoot,
    Splits = [DatasetSplit.ByFileNumbers("train", 1, lastTrain), DatasetSplit.ByFileNumbers("test", lastTrain + 1, lastTest)],
});

// The pretrained base: ResNet18 with the package's input transform (RGB to BGR, minus the mean image) as its first
// layers. It takes raw 0-255 RGB pixels at 224 x 224, and its preprocessing says so.
var clock = Stopwatch.StartNew();
using var resnet = PretrainedModels.ResNet18(Option("--resnet"));
Console.WriteLine($"ResNet18 loaded in {clock.Elapsed.TotalSeconds:F1} s: {resnet.Layers.Count} layers, {resnet.Layers.Sum(l => l.ParameterCount):N0} values");

ImageFolderDataset Folder(string split) => new(new ImageFolderDatasetOptions
{
    Directory = Path.Combine(splitRoot, split),
    Preprocessing = resnet.Preprocessing!,
    ClassMode = ClassMode.Binary,
    BatchSize = 32,
    Shuffle = false,
});

using var scope = NewDisposeScope();
using var trainImages = Folder("train");
using var testImages = Folder("test");
Console.WriteLine($"Found {trainImages.SampleCount} images belonging to {trainImages.ClassNames.Count} classes.");
Console.WriteLine($"Found {testImages.SampleCount} images belonging to {testImages.ClassNames.Count} classes.");

// Method 1 of Deep Learning with R 5.3: run the base once over the images and keep its 512 features per image.
clock.Restart();
using var train = resnet.ExtractFeatures(trainImages, new FeatureExtractionOptions { BatchSize = 32, Seed = 42 });
using var test = resnet.ExtractFeatures(testImages, new FeatureExtractionOptions { BatchSize = 32, Shuffle = false });
var seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"ResNet18 features {train.FeatureShape} of {trainImages.SampleCount + testImages.SampleCount} images in {seconds:F1} s ({(trainImages.SampleCount + testImages.SampleCount) / seconds:F1} img/s)");

// The new head: on the (1, 1, 512) features, dropout and one sigmoid unit (R: layer_flatten() %>% layer_dropout(0.5) %>% layer_dense(1, "sigmoid")).
using var head = new SequentialBuilder(1, 1, 512)
    .WithSeed(42)
    .Add(new FlattenOptions())
    .Add(new DropoutOptions { Rate = 0.5 })
    .Add(new DenseOptions { Units = 1, Activation = Activation.Sigmoid })
    .Build();
head.Compile(Loss.BinaryCrossentropy, OptimizerOptions.Adam(1e-3), Metric.Accuracy);
head.Fit(train, new FitOptions { Epochs = epochs, ValidationData = test, Seed = 42 });
var accuracy = head.Evaluate(test)["accuracy"];
Console.WriteLine($"Test accuracy of the new head on ResNet18 features: {accuracy:F3} ({testImages.SampleCount} images, {epochs} epochs)");

// The whole network, base plus head, to look inside: feature maps of every stage and Grad-CAM for the cat.
using var model = new SequentialBuilder(224, 224, 3).AddModel(resnet).AddModel(head).Build();
model.Preprocessing = resnet.Preprocessing;
model.ClassNames = trainImages.ClassNames;
var photo = model.LoadImage(catPhoto);
var predicted = model.PredictClasses(photo)[0];
Console.WriteLine($"{Path.GetFileName(catPhoto)}: '{predicted.ClassName}' with probability {predicted.Probability:F3}");

var gradCamPath = Path.Combine(output, "grad-cam.png");
HeatmapOverlay.SaveGradCam(model, catPhoto, gradCamPath);
string[] stages = ["relu1", "stage1_block2_out", "stage2_block2_out", "stage3_block2_out", "stage4_block3_out"];
using var activations = IntermediateModel.From(model, stages).Run(photo);
var grids = activations.SaveGrids(output);

var reportPath = Path.Combine(output, "report.html");
using var shown = model.LoadImageForDisplay(catPhoto);
HtmlReport.Save(model, reportPath, new HtmlReportOptions
{
    Title = "Inside a pretrained ResNet18",
    Images = [new HtmlReportImage(Path.GetFileName(catPhoto), photo, shown)],
    PatternLayers = ["stage4_block3_conv2"],
});

Console.WriteLine($"Feature maps of the stem and the four stages: {string.Join(", ", grids.Select(Path.GetFileName))}");
Console.WriteLine($"Grad-CAM for '{predicted.ClassName}': {gradCamPath}");
Console.WriteLine($"Explorable report (open it in a browser): {reportPath} ({new FileInfo(reportPath).Length / 1024.0 / 1024.0:F1} MB)");

static string FindBundledData()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "samples", "data");
        if (File.Exists(Path.Combine(candidate, "chelsea.png")))
        {
            return candidate;
        }
    }

    throw new DirectoryNotFoundException(
        $"The bundled demo data (samples/data) was not found above '{AppContext.BaseDirectory}'. Run the sample from a clone of the repository, or pass --data <Kaggle train folder>.");
}
