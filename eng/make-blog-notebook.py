#!/usr/bin/env python3
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Writes samples/notebooks/blog.ipynb without outputs (the source of truth for its cells). Then
# eng/run-notebook.sh --update executes it headlessly and writes it back with its outputs.
import json
import pathlib

cells = []


def md(text):
    cells.append({"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(keepends=True)})


def code(text, check=None):
    metadata = {"dotnet_interactive": {"language": "csharp"}, "polyglot_notebook": {"kernelName": "csharp"}}
    if check is not None:
        metadata["convviz_check"] = check
    cells.append({"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [],
                  "source": text.strip("\n").splitlines(keepends=True)})


md("""
# Convolutional Neural Network under the Hood, in C#

This notebook is the R-bloggers post *Convolutional Neural Network under the Hood* (February 2020) from top to
bottom, in C# with [ConvViz](../../README.md): split the images, build the blog's CNN, train it with augmentation,
then look inside it — the feature maps of `get_layer(model, index = 6)` for a cat photo, Grad-CAM and the filters —
and, in section 10, inside a pretrained ImageNet ResNet18 from NuGet. Each step names the R keras call it replaces.

It runs on the data bundled with the repository (`samples/data`: 500 Fashion-MNIST ankle boots and 500 sneakers,
28×28 grey, enlarged to the blog's 150×150 colour input) in a few minutes on two CPU cores, so the numbers are
those of a short demo run, not of the blog's 100 epochs on Kaggle's cats and dogs. To use the real data, point
`source` at Kaggle's `train` folder and `catPhoto` at `cat.2001.jpg`.

Open it in VS Code with the Polyglot Notebooks extension, or in Jupyter with the .NET kernel
(see [docs/notebooks.md](../../docs/notebooks.md)).
""")

md("""
## 1. Packages — R: `library(keras)`

`#r "nuget: ..."` is R's `install.packages()` and `library()` in one line. `ConvViz.Interactive` brings ConvViz and
registers its notebook views, so models, histories and pictures show themselves under the cell, the way R prints
them. `libtorch-cpu-linux-x64` is the native CPU backend on Linux (use `libtorch-cpu-win-x64` on Windows or
`libtorch-cpu-osx-arm64` on an Apple-silicon Mac).

Until ConvViz is on nuget.org, pack it into `artifacts/packages` first (commands in docs/notebooks.md); the `#i`
line adds that folder as a package source.
""")

code("""
#i "nuget: ../../artifacts/packages"
#r "nuget: ConvViz.Interactive, 0.2.0"
#r "nuget: libtorch-cpu-linux-x64, 2.10.0"
""", {"mime": "text/markdown", "contains": ["ConvViz.Interactive"]})

code("""
using System.IO;
using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Interactive;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
using ConvViz.Visualization;

var data = Path.GetFullPath("../data");              // the bundled demo data
var source = Path.Combine(data, "fashion-shoes");     // boot.1.png … sneaker.500.png, one flat folder like Kaggle's
var catPhoto = Path.Combine(data, "chelsea.png");     // the cat we look at in section 6
var output = Path.GetFullPath("convviz-output");      // everything this notebook writes
const int seed = 42;
""")

md("""
## 2. Split the data — R: `dir.create()` and `file.copy()`

The blog copies `cat.1.jpg` … `cat.1000.jpg` into `train/cats` and so on. `DatasetSplitter` does the same by file
number: images 1–400 of each class for training, 401–500 for testing, into `{split}/{class}/` folders.
""")

code("""
var split = DatasetSplitter.Split(new DatasetSplitOptions
{
    SourceDirectory = source,
    DestinationDirectory = Path.Combine(output, "data"),
    Splits = [DatasetSplit.ByFileNumbers("train", 1, 400), DatasetSplit.ByFileNumbers("test", 401, 500)],
    ExistingFiles = ExistingFilePolicy.Skip,
});
split.Splits.Select(s => new { split = s, boot = split.Count(s, "boot"), sneaker = split.Count(s, "sneaker") })
""", {"mime": "text/html", "contains": ["train", "400", "100"]})

md("""
## 3. Generators — R: `image_data_generator()` and `flow_images_from_directory()`

The blog's training generator standardises each image (`samplewise_std_normalization = TRUE`) and augments it:
rotations up to 40°, shifts of 20 %, shear, 20 % zoom and horizontal flips. The test generator only standardises.
A dataset shows its class counts and the first images of an epoch as the network gets them.
""")

code("""
// R: train_datagen <- image_data_generator(samplewise_center = TRUE, samplewise_std_normalization = TRUE,
//        rotation_range = 40, width_shift_range = 0.2, height_shift_range = 0.2, shear_range = 0.2,
//        zoom_range = 0.2, horizontal_flip = TRUE, fill_mode = "nearest")
var preprocessing = new ImagePreprocessing
{
    TargetHeight = 150,                // target_size = c(150, 150)
    TargetWidth = 150,
    ColorMode = ColorMode.Rgb,
    SamplewiseStdNormalization = true,
};
var augmenter = new Augmenter(new AugmentationOptions
{
    RotationRange = 40,
    WidthShiftRange = 0.2,
    HeightShiftRange = 0.2,
    ShearRange = 0.2,                  // degrees, as in every Keras since 2.1.3
    ZoomRange = AugmentationRange.Zoom(0.2),
    HorizontalFlip = true,
    FillMode = FillMode.Nearest,
});

// R: train_generator <- flow_images_from_directory(train_dir, train_datagen, target_size = c(150, 150),
//        batch_size = 50, class_mode = "categorical")
var trainData = new ImageFolderDataset(new ImageFolderDatasetOptions
{
    Directory = Path.Combine(output, "data", "train"),
    Preprocessing = preprocessing,
    Augmenter = augmenter,
    ClassMode = ClassMode.Categorical,
    BatchSize = 50,
    Shuffle = true,
    Seed = seed,
    CacheImages = true,
});
var testData = new ImageFolderDataset(new ImageFolderDatasetOptions
{
    Directory = Path.Combine(output, "data", "test"),
    Preprocessing = preprocessing,
    ClassMode = ClassMode.Categorical,
    BatchSize = 50,
    CacheImages = true,
});
trainData
""", {"mime": "text/html", "contains": ["boot", "sneaker", "400"], "pngs": 8, "minWidth": 150, "minHeight": 150})

md("""
What the augmentation does to two training images: each row is one image as loaded (left) and four random
augmentations of it.
""")

code("""
Notebook.AugmentationPreview(augmenter, preprocessing, [trainData.FilePaths[0], trainData.FilePaths[^1]], seed: seed)
""", {"mime": "text/html", "contains": ["Augmentation preview"], "pngs": 1, "minWidth": 700, "minHeight": 300})

md("""
## 4. The model — R: `keras_model_sequential() %>% layer_conv_2d(...)`

The blog's network, layer for layer: five convolutions with three max-poolings, then a stack of dense layers with
dropout, and a two-class softmax. Compiled like the blog, with binary cross-entropy and Adamax. The summary is R's
`summary(model)`, with both indices: ConvViz's 0-based `model.Layers[i]` and R's 1-based `get_layer(index = i + 1)`.
""")

code("""
var model = new SequentialBuilder(150, 150, 3)
    .WithSeed(seed)
    .AddConv2D(8, 3, Activation.ReLU)      // layer_conv_2d(filters = 8, kernel_size = c(3, 3), activation = "relu", input_shape = c(150, 150, 3))
    .AddConv2D(16, 3, Activation.ReLU)
    .AddMaxPooling2D(2)                    // layer_max_pooling_2d(pool_size = c(2, 2))
    .AddConv2D(32, 3, Activation.ReLU)
    .AddMaxPooling2D(2)
    .AddConv2D(64, 3, Activation.ReLU)
    .AddMaxPooling2D(2)
    .AddConv2D(16, 3, Activation.ReLU)
    .AddFlatten()                          // layer_flatten()
    .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
    .AddDense(128, Activation.ReLU).AddDense(128, Activation.ReLU).AddDropout(0.3)
    .AddDense(256, Activation.ReLU).AddDense(256, Activation.ReLU).AddDropout(0.3)
    .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
    .AddDense(32, Activation.ReLU)
    .AddDense(2, Activation.Softmax)       // layer_dense(units = 2, activation = "softmax")
    .Build();

// R: model %>% compile(loss = "binary_crossentropy", optimizer = optimizer_adamax(lr = 0.001), metrics = "accuracy")
model.Compile(Loss.BinaryCrossentropy, OptimizerOptions.Adamax(learningRate: 0.001), Metric.Accuracy);
model
""", {"mime": "text/html", "contains": ["385,090", "R index", "conv2d_3", "dense_9"]})

md("""
## 5. Training with a live chart — R: `fit_generator()` and `view_metrics`

In RStudio, `fit` draws its metrics while it trains. `LiveTrainingDisplay` does that here: one output under the
cell that shows the epoch, the batch and the running loss and accuracy, and a chart that grows after every epoch.
Eight epochs, as the main sample trains on this data, keep the demo short; the blog trains for 100.
""")

code("""
// R: history <- model %>% fit_generator(train_generator, epochs = 8, validation_data = test_generator)
var live = new LiveTrainingDisplay("fit_generator(): live metrics");
var history = model.Fit(trainData, new FitOptions
{
    Epochs = 8,
    ValidationData = testData,
    Progress = live,
    Seed = seed,
});
""", {"mime": "text/html", "contains": ["Epoch <b>8/8</b>", "val_accuracy"], "svgs": 1, "updates": 8})

md("""
R's `plot(history)`: a panel per metric, training and validation, over the epochs that ran.
""")

code("""
history
""", {"mime": "text/html", "contains": ["8 epoch(s)", "val_loss"], "svgs": 1})

code("""
// R: model %>% evaluate_generator(test_generator)
model.Evaluate(testData)
""", {"mime": "text/html", "contains": ["accuracy", "loss"]})

md("""
## 6. Under the hood — R: `keras_model(inputs = model$input, outputs = layer_outputs)`

The blog feeds one cat photo through the network and draws what each layer makes of it. The photo is prepared
exactly as in training (resized to 150×150, standardised). This demo model has only seen boots and sneakers, so
its prediction for the cat means nothing, but its filters still respond to the cat's edges and fur.
""")

code("""
// R: img <- image_load(img_path, target_size = c(150, 150)); img_tensor <- img_to_array(img) ...
var input = model.LoadImage(catPhoto);
var shown = TensorImages.ToImage(ImageLoader.LoadPixels(catPhoto, model.GetImagePreprocessing(), ImageDecodingOptions.Default), 0, 255);
shown
""", {"mime": "text/html", "pngs": 1, "minWidth": 150, "minHeight": 150})

md("""
The blog's activation model returns the outputs of several layers at once; `IntermediateModel` does the same. R
counts layers from 1 and ConvViz from 0, so R's `get_layer(model, index = 6)` is ConvViz's layer 5: each grid below
is titled with both. Every small square is one feature map (one filter's response), bright where it fires.
""")

code("""
// R: activation_model <- keras_model(inputs = model$input, outputs = layer_outputs)
//    activations <- activation_model %>% predict(img_tensor)
int[] rIndices = [2, 3, 6];
var activations = IntermediateModel.From(model, rIndices.Select(r => r - 1)).Run(input);
activations
""", {"mime": "text/html", "contains": ["get_layer(index = 6)", "conv2d_3", "get_layer(index = 2)"], "pngs": 3, "minWidth": 200})

md("""
One layer alone — the feature maps of `get_layer(index = 6)` as a plain tensor `[1, 64, 33, 33]` also show
themselves as a grid.
""")

code("""
activations.GetByIndex(6 - 1)
""", {"mime": "text/html", "contains": ["Feature maps [1, 64, 33, 33]"], "pngs": 1, "minWidth": 200})

md("""
## 7. Where does the network look? Grad-CAM

Grad-CAM weights the last convolution's feature maps by how much they raise the predicted class's score, and draws
the result over the photo: red is where the evidence for the class is.
""")

code("""
Notebook.GradCam(model, catPhoto)
""", {"mime": "text/html", "contains": ["Grad-CAM for"], "pngs": 1, "minWidth": 150, "minHeight": 150})

md("""
This demo model has only learnt boots and sneakers, and its softmax must share all of the probability between those
two: it calls the cat a sneaker with probability 0.992, surer than it is of the real sneaker below (0.953). A
classifier's probability says which of its known classes fits better, not that the image is one of them. Grad-CAM
shows what the number hides: on the cat the evidence is spread over most of the face, with no object to point at.
On a test sneaker, a class it knows, Grad-CAM points at the shoe itself:
""")

code("""
Notebook.GradCam(model, testData.FilePaths[^1])
""", {"mime": "text/html", "contains": ["Grad-CAM for 'sneaker'"], "pngs": 1, "minWidth": 150, "minHeight": 150})

md("""
The first layer's filters: the 3×3 patterns (one per input colour channel) that the network learnt to look for.
""")

code("""
Notebook.Filters(model)
""", {"mime": "text/html", "contains": ["Filters of layer 0"], "pngs": 1, "minWidth": 100})

md("""
## 8. Everything in one file — the HTML report

The report puts the model summary, the training chart, the prediction, Grad-CAM and every layer's feature maps into
one HTML file to share; it is also shown here.
""")

code("""
var reportOptions = new HtmlReportOptions
{
    Title = "The blog's CNN on the bundled demo data",
    Input = input,
    InputImage = shown,
    ClassNames = model.ClassNames,
    HistorySvg = HistoryPlot.ToSvg(history),
};
HtmlReport.Save(model, Path.Combine(output, "report.html"), reportOptions);
Notebook.Report(model, reportOptions)
""", {"mime": "text/html", "contains": ["<iframe", "HTML report"]})

md("""
## 9. Take the model out — export to ONNX

R's keras saves the model as HDF5 (`save_model_hdf5`), and serving it outside R and Python goes through Python's
tf2onnx. ConvViz writes ONNX itself. With `IncludePreprocessing` the file starts with this model's per-image
standardisation, so it takes raw 0–255 pixels, and its metadata carries the class names. ONNX Runtime runs it in a
.NET app, a browser or a phone without TorchSharp: [docs/deploying.md](../../docs/deploying.md) shows the console
app, ML.NET and onnxruntime-web, and the ONNX Runtime tests check its outputs against ConvViz's within 1e-5.
""")

code("""
// R: save_model_hdf5(model, "model.h5") — and, for ONNX Runtime:
var onnxPath = model.ExportOnnx(Path.Combine(output, "model.onnx"), new OnnxExportOptions { IncludePreprocessing = true });
var shape = model.InputShape;
$"{Path.GetFileName(onnxPath)}: {new FileInfo(onnxPath).Length:N0} bytes; input float32 [batch, {shape.Channels}, {shape.Height}, {shape.Width}] of raw 0–255 pixels; output [batch, {model.ClassNames.Count}]: the probabilities of {string.Join(" and ", model.ClassNames)}"
""", {"mime": "text/plain", "contains": ["model.onnx:", "bytes", "[batch, 3, 150, 150]", "boot and sneaker"]})

md("""
## 10. Look inside a pretrained network — R: `application_vgg16(weights = "imagenet", include_top = FALSE)`

The blog passes on a pretrained model: "I could use a pre-trained model such as VGG16… But, what's the fun in
that?" Looking inside one is the fun part. The network above has seen 800 small pictures of shoes; a network trained
on ImageNet's 1.28 million photos of a thousand kinds of things has filters for eyes, fur and whiskers, and its view
of the cat is worth a look.

NuGet serves one such network: the ResNet18 in ML.NET's package `Microsoft.ML.DnnImageFeaturizer.ResNet18` (MIT,
64 MB, downloaded once into the NuGet cache). Like `include_top = FALSE` in R, it is headless: it ends in 512
averaged features, not in ImageNet's 1,000 classes, so it can describe the cat but not name it. The `#r` line puts
the package into the NuGet cache (it also brings ML.NET's own assemblies, which ConvViz does not use), and
`PretrainedModels.ResNet18()` finds it there.
""")

code("""
#r "nuget: Microsoft.ML.DnnImageFeaturizer.ResNet18, 0.24.0"
""", {"mime": "text/html", "contains": ["Microsoft.ML.DnnImageFeaturizer.ResNet18, 0.24.0"]})

md("""
One call loads it, with the package's own input transform as its first layers (RGB to BGR, then minus the package's
mean image), so it takes the photo's raw 0–255 pixels at 224×224. Unlike the blog's chain of layers, a ResNet is a
graph: each block adds its input back to its output, so every `_add` layer has two inputs, and the summary's
"Connected to" column shows them. Each stage halves the picture and doubles the channels: 56×56×64 after stage 1,
then 28×28×128, 14×14×256 and 7×7×512 after stage 4.
""")

code("""
// R: conv_base <- application_vgg16(weights = "imagenet", include_top = FALSE, input_shape = c(224, 224, 3))
var resnet = PretrainedModels.ResNet18();
resnet
""", {"mime": "text/html", "contains": ["Connected to", "16,059,328", "stage1_block1_conv1", "stage4_block3_add", "stage4_block2_out[0][0]", "avg_pool"]})

md("""
The cat as the ResNet gets it: the whole photo squeezed to 224×224, no crop.
""")

code("""
var catForResNet = resnet.LoadImage(catPhoto);    // [1, 3, 224, 224] raw pixels; the model's first layers do the rest
resnet.LoadImageForDisplay(catPhoto)
""", {"mime": "text/html", "pngs": 1, "minWidth": 224, "minHeight": 224})

md("""
What the headless network says about it is 512 numbers, one per channel of its last stage (each channel's mean
over the 7×7 grid):
""")

code("""
// R: features <- conv_base %>% predict(img_tensor)
var catFeatures = resnet.Predict(catForResNet).flatten().data<float>().ToArray();
var strongest = catFeatures.Select((value, channel) => (value, channel)).OrderByDescending(f => f.value).Take(16).ToArray();
$"{catFeatures.Length} features for {Path.GetFileName(catPhoto)}: {catFeatures.Count(v => v == 0)} are 0, the mean is {catFeatures.Average():F2}; "
    + $"the largest are {string.Join(", ", strongest.Take(5).Select(f => $"{f.channel} ({f.value:F2})"))}"
""", {"mime": "text/plain", "contains": ["512 features for chelsea.png", "the largest are"]})

md("""
A few features stand far above the mean, the first one by a wide margin. Which parts of the photo produce them is
what the feature maps show.

### Stage by stage

As in section 6, an `IntermediateModel` returns the outputs of several layers at once: here the last block of each
stage. Stages 1 and 2 first:
""")

code("""
// R: activation_model <- keras_model(inputs = conv_base$input, outputs = stage_outputs)
var early = IntermediateModel.From(resnet, ["stage1_block2_out", "stage2_block2_out"]).Run(catForResNet);
early
""", {"mime": "text/html", "contains": ["stage1_block2_out", "stage2_block2_out", "(None, 56, 56, 64)", "First 64 of 128 feature maps"], "pngs": 2, "minWidth": 400})

md("""
At stage 1 (56×56) most maps are still recognisably the cat, taken apart: the outlines of the eyes (maps 44, 45, 52
and 59 draw both eyes as bright rings), the nose, whiskers and the dark lines of the fur; some maps (4, 12, 29, 58)
are a fine stripe texture all over, and a few (10, 42) are bright over broad light areas rather than at edges. At stage 2 (28×28) the face has gone from almost every
map: what is left is scattered bright spots and short strokes, and a few maps lit over wide textured patches.

Stages 3 and 4:
""")

code("""
var late = IntermediateModel.From(resnet, ["stage3_block2_out", "stage4_block3_out"]).Run(catForResNet);
late
""", {"mime": "text/html", "contains": ["stage3_block2_out", "stage4_block3_out", "(None, 7, 7, 512)", "First 64 of 512 feature maps"], "pngs": 2, "minWidth": 300})

md("""
At stage 3 (14×14) and stage 4 (7×7) a single cell of a map stands for a 16- or 32-pixel square of the input and
sees far more than that: the maps are coarse blotches, and nothing in them looks like a cat. Many stage-4 maps are
dark but for one or two cells, and four of these 64 (1, 2, 44 and 49) are flat grey with a diagonal: zero all over
for this photo. This is where ImageNet's abstract features live; they are read by where and how strongly they fire,
not by their looks.

The first 64 of 512 channels are an arbitrary choice. The 16 channels that matter most for this photo are the 16
largest features above:
""")

code("""
var stage4 = resnet.GetLayer("stage4_block3_out");
var strongestMaps = FeatureMapGrid.RenderForLayer(late["stage4_block3_out"], stage4,
    new FeatureMapGridOptions { Channels = strongest.Select(f => f.channel).ToArray(), Columns = 8, Scale = 12 });
new NotebookFigure(strongestMaps, "The 16 strongest channels of stage 4 for the cat",
    "Largest mean first; each map scaled to its own range (bright = strong).")
""", {"mime": "text/html", "contains": ["16 strongest channels"], "pngs": 1, "minWidth": 600})

md("""
Each 7×7 map is a coarse grid laid over the photo. The strongest channel, 273, is brightest in the bottom middle,
where the nose and mouth are; the others peak in different places: near the top of the head (191, 246), in the middle
of the face (445, 425), along the bottom (217, 414), or in the top right-hand corner (34).

### Where does feature 273 come from? Grad-CAM

Grad-CAM explains a score. A headless network's scores are its features, so a `Flatten` after it turns them into a
vector of 512, and Grad-CAM explains feature 273 as if it were a class, at the last block's output:
""")

code("""
var resnetFeatures = new SequentialBuilder(224, 224, 3).AddModel(resnet).AddFlatten().Build();
var (topValue, topChannel) = strongest[0];
var camOfFeature = GradCam.Compute(resnetFeatures, catForResNet, topChannel, new GradCamOptions { LayerName = "stage4_block3_out" });
var camOverlay = HeatmapOverlay.RenderOnPhoto(catPhoto, camOfFeature.Maps);
new NotebookFigure(camOverlay, $"Grad-CAM of ResNet18 feature {topChannel} (value {topValue:F2}) at stage4_block3_out on {Path.GetFileName(catPhoto)}",
    "Red: the regions whose activations raised the feature most.")
""", {"mime": "text/html", "contains": ["Grad-CAM of ResNet18 feature", "stage4_block3_out"], "pngs": 1, "minWidth": 400, "minHeight": 280})

md("""
The evidence for feature 273 sits on the middle of the lower face: red over the mouth and the cheek just left of the nose,
yellow over the rest of the muzzle and up between the eyes to the forehead, blue over the ears, the top of the head
and the background. A headless ResNet has no "cat" to explain, but its strongest feature for this photo rests on the face,
not on the background.

### What would feature 273 like to see? Activation maximisation

Gradient ascent from grey noise on the input, to make channel 273 of the last block as large as possible
(Chollet's recipe, with small random shifts, a slight blur and a decay toward grey to keep out pixel noise). Each
step runs the whole network forwards and backwards at 224×224, so it is the slowest cell of this section: 40 steps,
cut short after 45 seconds on a busy machine (the picture's title says how many steps ran).
""")

code("""
var ascent = new ActivationMaximizationOptions { Steps = 40, Seed = 1, Jitter = 8, BlurSigma = 1, BlurEvery = 4, Decay = 0.01, TimeLimit = TimeSpan.FromSeconds(45) }
    .WithInputRangeOf(resnet);   // raw 0–255 pixels
var pattern = ActivationMaximization.Run(resnet, "stage4_block3_out", topChannel, ascent);
var patternPicture = FilterGrid.RenderPatterns(resnet, pattern, new PatternGridOptions { Scale = 1 });
new NotebookFigure(patternPicture, $"What excites channel {topChannel} of stage4_block3_out",
    $"{pattern.StepsRun} steps; the channel's mean activation rose from {pattern.InitialActivations[0]:F2} to {pattern.FinalActivations[0]:F2} (the cat gives {topValue:F2}).")
""", {"mime": "text/html", "contains": ["What excites channel"], "pngs": 1, "minWidth": 200, "minHeight": 200})

md("""
In the saved run all 40 steps ran, and channel 273 went from 0 on the grey noise to 32.0, almost twice what the cat
gives it (17.5). The picture is mostly a grey-green haze crossed by faint diagonal lines and large arcs, with a row
of four small blobs in its lower half, striped dark blue, white and orange. It is not a cat. The striped blobs may
remind you of tabby fur or paws, but that is a reading, not something the picture proves: a deep channel responds to
parts and textures in context, and a single pattern shows one input that drives it, not what it means. For that,
the maps and Grad-CAM above, on real photos, say more.
""")

notebook = {
    "cells": cells,
    "metadata": {
        "kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
        "language_info": {"name": "polyglot-notebook"},
        "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp",
                                             "items": [{"aliases": [], "name": "csharp"}]}},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
path = pathlib.Path(__file__).resolve().parent.parent / "samples" / "notebooks" / "blog.ipynb"
path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"wrote {path}")
