// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Attributes;
using ConvViz.Inspection;
using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>Activation extraction at the blog's layer index 5 against a full forward pass (batch of 1, 150×150 RGB).</summary>
public class InspectionBenchmarks
{
    private Model _model = null!;
    private Tensor _input = null!;

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        _model = new SequentialBuilder(150, 150, 3)
            .AddConv2D(8, 3, Activation.ReLU).AddConv2D(16, 3, Activation.ReLU).AddMaxPooling2D(2)
            .AddConv2D(32, 3, Activation.ReLU).AddMaxPooling2D(2)
            .AddConv2D(64, 3, Activation.ReLU).AddMaxPooling2D(2)
            .AddConv2D(16, 3, Activation.ReLU).AddFlatten()
            .AddDense(64, Activation.ReLU).AddDense(2, Activation.Softmax)
            .Build();
        _input = rand(1, 3, 150, 150);
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
        return IntermediateModel.From(_model, 5).Predict(_input).sum().item<float>();
    }
}
