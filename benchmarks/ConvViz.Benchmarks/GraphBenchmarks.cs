// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Attributes;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>
/// A ResNet-style graph of 21 layers (stem, four residual blocks with skip connections, global pooling, dense) on a
/// 112×112 RGB image: every layer's activation in one call against one plain forward pass (target: at most 1.2×).
/// </summary>
public class GraphBenchmarks
{
    private Model _model = null!;
    private Tensor _input = null!;
    private string[] _allLayers = null!;

    /// <summary>The batch size.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    /// <summary>Builds the residual graph: input, Conv2D 32 + ReLU, three blocks of Conv2D, ReLU, Conv2D, Add, ReLU, then global average pooling and Dense 10.</summary>
    public static Model CreateResidualModel(int seed = 1)
    {
        var f = new FunctionalBuilder(new ImageShape(112, 112, 3)).WithSeed(seed);
        var x = f.Add(new Conv2DOptions { Filters = 32, KernelSize = 3, Strides = 2, Padding = Padding.Same }, f.Input);
        x = f.Add(new ReLUOptions(), x);
        for (var block = 0; block < 4; block++)
        {
            var y = f.Add(new Conv2DOptions { Filters = 32, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU }, x);
            y = f.Add(new Conv2DOptions { Filters = 32, KernelSize = 3, Padding = Padding.Same }, y);
            x = f.Add(new AddOptions(), x, y);
            x = f.Add(new ReLUOptions(), x);
        }

        x = f.Add(new GlobalAveragePooling2DOptions(), x);
        return f.Build(f.Add(new DenseOptions { Units = 10, Activation = Activation.Softmax }, x));
    }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(42);
        _model = CreateResidualModel();
        _input = rand(Batch, 3, 112, 112);
        _allLayers = [.. _model.Layers.Select(l => l.Name)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float PlainForward()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return _model.Forward(_input).sum().item<float>();
    }

    [Benchmark]
    public long AllLayersOneCall()
    {
        using var activations = IntermediateModel.From(_model, _allLayers).Run(_input);
        return activations.Count;
    }

    /// <summary>
    /// The side by side for a noisy machine: plain forward and all-layers calls interleaved (A, B, A, B, …) so that
    /// load changes hit both alike; prints each one's median time and the ratio of medians. Returns 0.
    /// </summary>
    /// <param name="args">[rounds] [batch]: defaults 200 and 1.</param>
    public static int RunSideBySide(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 200;
        var batch = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1;
        var bench = new GraphBenchmarks { Batch = batch };
        bench.Setup();
        try
        {
            var plain = new List<double>();
            var all = new List<double>();
            for (var i = 0; i < rounds + 10; i++)
            {
                var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                bench.PlainForward();
                var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                bench.AllLayersOneCall();
                var t2 = System.Diagnostics.Stopwatch.GetTimestamp();
                if (i >= 10)
                {
                    plain.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    all.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                }
            }

            static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
            var (p, a) = (Median(plain), Median(all));
            Console.WriteLine(System.FormattableString.Invariant(
                $"residual graph, {bench._allLayers.Length} layers, batch {batch}, {rounds} interleaved rounds: plain forward median {p:F2} ms, all layers in one call median {a:F2} ms, ratio {a / p:F3}"));
            return 0;
        }
        finally
        {
            bench.Cleanup();
        }
    }
}
