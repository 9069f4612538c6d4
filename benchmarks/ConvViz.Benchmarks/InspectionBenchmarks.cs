// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Attributes;
using ConvViz.Inspection;
using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>
/// Activation extraction at the blog's layer index 5 (the 64-filter conv, output 33×33×64) against a full forward
/// pass of the blog model, for one 150×150 RGB image; and the activations of all eight feature-map layers (the blog's
/// plots) in one pass against one intermediate model per layer.
/// </summary>
public class InspectionBenchmarks
{
    private Model _model = null!;
    private Tensor _input = null!;
    private int[] _featureMapLayers = null!;

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        _model = Blog.CreateModel();
        _input = rand(1, 3, Blog.Size, Blog.Size);
        _featureMapLayers = [.. _model.Layers.Where(l => l.OutputShape.IsSpatial).Select(l => l.Index)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float FullForward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return _model.Forward(_input).sum().item<float>();
    }

    [Benchmark]
    public float ActivationAtLayer5()
    {
        using var scope = NewDisposeScope();
        return IntermediateModel.From(_model, Blog.ActivationLayer).Predict(_input).sum().item<float>();
    }

    [Benchmark]
    public long AllFeatureMapLayersOnePass()
    {
        using var activations = IntermediateModel.FromFeatureMapLayers(_model).Run(_input);
        return activations.Count;
    }

    [Benchmark]
    public long AllFeatureMapLayersOneModelPerLayer()
    {
        long count = 0;
        foreach (var index in _featureMapLayers)
        {
            using var activation = IntermediateModel.From(_model, index).Predict(_input);
            count += activation.numel();
        }

        return count;
    }
}
