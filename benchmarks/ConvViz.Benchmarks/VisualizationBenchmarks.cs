// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Attributes;
using ConvViz.Visualization;
using SixLabors.ImageSharp;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>Rendering the blog's layer-5 activations (64 maps of 33×33) as a feature-map grid and encoding it as PNG.</summary>
public class VisualizationBenchmarks
{
    private Tensor _activations = null!;

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(5);
        _activations = rand(1, 64, 33, 33).relu_();
    }

    [GlobalCleanup]
    public void Cleanup() => _activations.Dispose();

    [Benchmark]
    public long FeatureMapGrid64ToPng()
    {
        using var image = FeatureMapGrid.Render(_activations);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.Length;
    }
}
