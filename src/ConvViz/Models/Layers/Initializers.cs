// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>Fills tensors with Keras' initializers.</summary>
internal static class Initializers
{
    /// <summary>Keras' correction so that a normal truncated at ±2σ has the requested standard deviation.</summary>
    private const double TruncatedNormalCorrection = 0.87962566103423978;

    /// <summary>Whether <see cref="WeightsFollow"/> is in effect on this thread.</summary>
    [ThreadStatic]
    private static bool t_weightsFollow;

    /// <summary>
    /// Until the returned scope is disposed, the random initializers on this thread only zero their tensors: a model
    /// reader that overwrites every weight right after creating the model saves drawing millions of random numbers it
    /// would discard, and their temporary copies (on a machine where touching fresh memory is slow, that was a third of
    /// loading the 64 MB ResNet18). Zeros, not uninitialised memory, so a weight a reader missed is still deterministic.
    /// </summary>
    /// <returns>The scope; dispose it when the model exists.</returns>
    public static IDisposable WeightsFollow()
    {
        var outer = t_weightsFollow;
        t_weightsFollow = true;
        return new Restore(outer);
    }

    /// <summary>Fills <paramref name="tensor"/> in place, without recording gradients.</summary>
    public static void Fill(Tensor tensor, Initializer initializer, long fanIn, long fanOut, Generator? generator)
    {
        using var noGrad = no_grad();
        if (t_weightsFollow && initializer is not (Initializer.Zeros or Initializer.Ones))
        {
            tensor.zero_();
            return;
        }

        switch (initializer)
        {
            case Initializer.Zeros:
                tensor.zero_();
                break;
            case Initializer.Ones:
                tensor.fill_(Scalars.One);
                break;
            case Initializer.GlorotUniform:
                Uniform(tensor, Math.Sqrt(6.0 / (fanIn + fanOut)), generator);
                break;
            case Initializer.HeUniform:
                Uniform(tensor, Math.Sqrt(6.0 / fanIn), generator);
                break;
            case Initializer.LecunUniform:
                Uniform(tensor, Math.Sqrt(3.0 / fanIn), generator);
                break;
            case Initializer.GlorotNormal:
                TruncatedNormal(tensor, Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
                break;
            case Initializer.HeNormal:
                TruncatedNormal(tensor, Math.Sqrt(2.0 / fanIn), generator);
                break;
            case Initializer.LecunNormal:
                TruncatedNormal(tensor, Math.Sqrt(1.0 / fanIn), generator);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(initializer), initializer, "Unknown initializer.");
        }
    }

    // TorchSharp 0.107's nn.init.uniform_ ignores its generator and trunc_normal_ does not sample, so values are drawn
    // with rand/randn (which honour the generator) and copied in.
    private static void Uniform(Tensor tensor, double limit, Generator? generator)
    {
        using var scope = NewDisposeScope();
        using var width = Scalars.Create(2 * limit);
        using var offset = Scalars.Create(limit);
        var values = rand(tensor.shape, ScalarType.Float32, generator: generator).mul_(width).sub_(offset);
        tensor.copy_(values);
    }

    /// <summary>A normal with the given σ truncated at ±2σ by resampling, as Keras' <c>truncated_normal</c>.</summary>
    private static void TruncatedNormal(Tensor tensor, double scale, Generator? generator)
    {
        using var scope = NewDisposeScope();
        var std = scale / TruncatedNormalCorrection;
        using var bound = Scalars.Create(2);
        using var stdScalar = Scalars.Create(std);
        var values = randn(tensor.shape, ScalarType.Float32, generator: generator);
        while (true)
        {
            var outside = values.abs().gt(bound);
            if (!outside.any().item<bool>())
            {
                break;
            }

            values = where(outside, randn(tensor.shape, ScalarType.Float32, generator: generator), values);
        }

        tensor.copy_(values.mul_(stdScalar));
    }

    private sealed class Restore(bool outer) : IDisposable
    {
        public void Dispose() => t_weightsFollow = outer;
    }
}
