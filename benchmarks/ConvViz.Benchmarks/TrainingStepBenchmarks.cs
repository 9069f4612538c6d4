// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Attributes;
using ConvViz.Models;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>
/// One training step of the blog model on a batch of 50 150×150 RGB images: forward, Keras categorical
/// cross-entropy, backward and ConvViz's Keras Adamax update (<see cref="KerasOptimizer"/>); libtorch intra-op threads as a parameter.
/// </summary>
public class TrainingStepBenchmarks
{
    private Model _model = null!;
    private Tensor _images = null!;
    private Tensor _labels = null!;
    private KerasOptimizer _optimizer = null!;
    private int _threadsBefore;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _threadsBefore = get_num_threads();
        set_num_threads(Threads);
        manual_seed(42);
        _model = Blog.CreateModel();
        _model.Module.train();
        _images = rand(Blog.BatchSize, 3, Blog.Size, Blog.Size);
        using var classes = randint(0, Blog.Classes, Blog.BatchSize);
        _labels = nn.functional.one_hot(classes, Blog.Classes).to_type(ScalarType.Float32);
        _optimizer = new KerasOptimizer(OptimizerOptions.Adamax(0.001), _model.Module.parameters());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _optimizer.Dispose();
        _labels.Dispose();
        _images.Dispose();
        _model.Dispose();
        set_num_threads(_threadsBefore);
    }

    [Benchmark]
    public float TrainStepBatch50()
    {
        using var scope = NewDisposeScope();
        _optimizer.ZeroGrad();
        var p = _model.Forward(_images).clamp(1e-7, 1 - 1e-7);
        var loss = -(_labels * p.log()).sum(-1).mean();
        loss.backward();
        _optimizer.Step();
        return loss.item<float>();
    }
}
