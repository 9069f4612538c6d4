// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Attributes;
using ConvViz.Augmentation;
using ConvViz.Imaging;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>
/// The data pipeline's two hot paths: decoding one ~500×375 JPEG and resizing it to 150×150 (reported per image), and
/// augmenting a batch of 50 150×150 images with the blog's settings (rotation 40, shifts 0.2, shear 0.2, zoom 0.2,
/// horizontal flip, nearest fill).
/// </summary>
public class DataBenchmarks
{
    private const int DecodeFiles = 50;
    private string[] _files = null!;
    private Augmenter _augmenter = null!;
    private Tensor _batch = null!;
    private int _seed;

    [GlobalSetup]
    public void Setup()
    {
        var root = SyntheticJpegs.Ensure(SyntheticJpegs.DefaultRoot(1000), 1000);
        _files = [.. Directory.EnumerateFiles(root, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(DecodeFiles)];
        _augmenter = new Augmenter(BlogData.Augmentation);
        manual_seed(3);
        _batch = rand(Blog.BatchSize, 3, Blog.Size, Blog.Size).mul_(255);
    }

    [GlobalCleanup]
    public void Cleanup() => _batch.Dispose();

    /// <summary>Safe decode + nearest resize to 150×150 + rescale into a [1, 3, 150, 150] tensor; time per image.</summary>
    [Benchmark(OperationsPerInvoke = DecodeFiles)]
    public long DecodeResizePerImage()
    {
        long elements = 0;
        foreach (var file in _files)
        {
            using var image = ImageLoader.Load(file, BlogData.Preprocessing);
            elements += image.numel();
        }

        return elements;
    }

    [Benchmark]
    public long AugmentBatch50()
    {
        using var augmented = _augmenter.Augment(_batch, _seed++);
        return augmented.numel();
    }
}
