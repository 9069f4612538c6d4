// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models;

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
                tensor.fill_(1.0);
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

    private static void Uniform(Tensor tensor, double limit, Generator? generator) =>
        nn.init.uniform_(tensor, -limit, limit, generator);

    private static void TruncatedNormal(Tensor tensor, double scale, Generator? generator)
    {
        var std = scale / TruncatedNormalCorrection;
        nn.init.trunc_normal_(tensor, 0, std, -2 * std, 2 * std, generator);
    }
}
