// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Models.Onnx;

namespace ConvViz.Models;

/// <summary>
/// Pretrained networks to look inside and to build on. The weights are not part of ConvViz: they come from the NuGet
/// package that serves them, found in the NuGet package cache, or from a path you give.
/// </summary>
public static class PretrainedModels
{
    /// <summary>The NuGet package holding the ImageNet ResNet18 (MIT): add it with <c>dotnet add package Microsoft.ML.DnnImageFeaturizer.ResNet18</c>.</summary>
    public const string ResNet18Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    private const string ResNet18Folder = "tools/DnnImageModels/ResNet18Onnx";

    /// <summary>
    /// Loads the ImageNet ResNet18 of <see cref="ResNet18Package"/> (CNTK's variant, headless: its output is the 512
    /// averaged features of the last stage, shape (None, 1, 1, 512)), with the package's own input transform in front
    /// of it as layers: RGB to BGR, then subtracting the package's mean image. The model takes raw RGB pixels (0–255)
    /// at 224 × 224; its <see cref="Model.Preprocessing"/> resizes images to that size without rescaling.
    /// </summary>
    /// <remarks>
    /// Layers are named by where they are: <c>conv1</c>, <c>bn1</c>, <c>relu1</c>, <c>pool1</c> for the stem, then
    /// <c>stage{s}_block{b}_conv{k}</c>, <c>_bn{k}</c>, <c>_relu{k}</c>, <c>_shortcut_conv</c>, <c>_add</c>,
    /// <c>_out</c>, and <c>avg_pool</c>; the transform's layers start with <c>preprocess_</c>.
    /// </remarks>
    /// <param name="path">
    /// <c>ResNet18.onnx</c>, or the package folder that holds it; <see langword="null"/> (the default) finds the newest
    /// version of the package in the NuGet package cache (<c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>).
    /// </param>
    /// <returns>The model; the caller owns it and must dispose it.</returns>
    /// <exception cref="FileNotFoundException">The package is not in the cache (the message names the package to add), or the path does not hold the model or its transform.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt.</exception>
    public static Model ResNet18(string? path = null)
    {
        var (modelPath, preprocessPath) = ResolveResNet18(path);
        NativeBackend.EnsureLoaded();
        var baseProto = ParseFile(modelPath);
        var prepProto = ParseFile(preprocessPath);
        var prepNames = prepProto.Graph.Node
            .Where(n => n.Output.Count > 0)
            .SelectMany(n => n.OpType switch
            {
                "Split" => n.Output.Select((o, i) => (o, $"preprocess_{(i < 3 ? new[] { "red", "green", "blue" }[i] : "part" + i)}")),
                "Concat" => [(n.Output[0], "preprocess_bgr")],
                "Sub" => [(n.Output[0], "preprocess_subtract_mean")],
                _ => [(n.Output[0], "preprocess_" + n.OpType.ToLowerInvariant())],
            })
            .ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

        using var transform = OnnxImporter.Load(prepProto, preprocessPath, Path.GetDirectoryName(preprocessPath), prepNames);
        using var network = OnnxImporter.Load(baseProto, modelPath, Path.GetDirectoryName(modelPath), ResNetNaming.Names(baseProto.Graph));
        var builder = new LayerGraphBuilder(transform.InputShape);
        var input = builder.Add(new Layers.InputLayerOptions { Name = "input" }, [LayerGraphBuilder.ModelInput]);
        var prepared = builder.AddModel(transform, input);
        builder.AddModel(network, prepared);
        var model = builder.Build(seed: 0, weightsFollow: true);   // every layer's weights are copied from the two models
        try
        {
            model.Preprocessing = new ImagePreprocessing
            {
                TargetHeight = model.InputShape.Height,
                TargetWidth = model.InputShape.Width,
                ColorMode = ColorMode.Rgb,
                Interpolation = Interpolation.Bilinear,
            };
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <summary>Finds <c>ResNet18.onnx</c> in the NuGet package cache.</summary>
    /// <returns>The path of the newest cached version's <c>ResNet18.onnx</c>, or <see langword="null"/> when the package is not cached.</returns>
    public static string? FindResNet18()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var package = Path.Combine(root, ResNet18Package.ToLowerInvariant());
        if (!Directory.Exists(package))
        {
            return null;
        }

        return Directory.EnumerateDirectories(package)
            .Select(d => (Folder: d, Version: Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : null))
            .Where(d => d.Version is not null)
            .OrderByDescending(d => d.Version)
            .Select(d => Path.Combine(d.Folder, ResNet18Folder, "ResNet18.onnx"))
            .FirstOrDefault(File.Exists);
    }

    private static ModelProto ParseFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return OnnxImporter.Parse(stream, path);
    }

    private static (string Model, string Preprocess) ResolveResNet18(string? path)
    {
        string model;
        if (path is null)
        {
            model = FindResNet18() ?? throw new FileNotFoundException(
                $"The pretrained ResNet18 is not in the NuGet package cache. Add its package to your project (dotnet add package {ResNet18Package}) and restore, " +
                "or pass the path of ResNet18.onnx.");
        }
        else if (Directory.Exists(path))
        {
            model = Path.Combine(path, ResNet18Folder, "ResNet18.onnx");
        }
        else
        {
            model = path;
        }

        if (!File.Exists(model))
        {
            throw new FileNotFoundException($"'{model}' does not exist. Pass ResNet18.onnx of the {ResNet18Package} package, or the package's folder.", model);
        }

        // The transform sits beside the model in the package: tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx.
        var models = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(model)))!;
        var preprocess = Path.Combine(models, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        return File.Exists(preprocess)
            ? (model, preprocess)
            : throw new FileNotFoundException(
                $"The input transform '{preprocess}' of the {ResNet18Package} package is missing next to '{model}'. Keep the package's folder layout.", preprocess);
    }
}
