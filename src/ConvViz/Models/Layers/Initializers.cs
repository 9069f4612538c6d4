// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>Fills tensors with Keras' initializers.</summary>
internal static class Initializers
{
    /// <summary>Keras' correction so that a normal truncated at ±2σ has the requested standard deviation.</summary>
    private const double TruncatedNormalCorrection = 0.87962566103423978;

    /// <summary>Fills <paramref name="tensor"/> in place, without recording gradients.</summary>
    public static void Fill(Tensor tensor, Initializer initializer, long fanIn, long fanOut, Generator? generator)
    {
        using var noGrad = no_grad();
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
}
