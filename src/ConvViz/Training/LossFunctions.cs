// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Training;

/// <summary>Keras loss functions, computed per sample so that epoch means can be weighted by batch size.</summary>
internal static class LossFunctions
{
    /// <summary>Keras' <c>backend.epsilon()</c>, used to clip probabilities.</summary>
    internal const double Epsilon = 1e-7;

    // Clip bounds held for the process, so no temporary Scalar can be finalized during the clamp (see Scalars).
    private static readonly TorchSharp.Scalar s_epsilon = Scalars.Permanent(Epsilon);
    private static readonly TorchSharp.Scalar s_oneMinusEpsilon = Scalars.Permanent(1 - Epsilon);

    /// <summary>Gets the history key of a loss (always <c>loss</c> in Keras).</summary>
    internal const string Key = "loss";

    /// <summary>
    /// Computes the loss of every sample: for element-wise losses the mean over the last axis, for the categorical
    /// cross-entropies the sum over the classes (both as in Keras). The batch loss is the mean of the result.
    /// </summary>
    /// <param name="loss">The loss.</param>
    /// <param name="predictions">Model outputs [B, K] (probabilities for the cross-entropies).</param>
    /// <param name="targets">Targets: one-hot or element-wise [B, K], [B] for binary targets of a 1-unit output, or class indices [B] / [B, 1] for the sparse loss.</param>
    /// <returns>A float32 tensor [B]; the caller owns it.</returns>
    internal static Tensor PerSample(Loss loss, Tensor predictions, Tensor targets)
    {
        switch (loss)
        {
            case Loss.BinaryCrossentropy:
            {
                var y = AlignElementwise(predictions, targets);
                var p = predictions.clamp(s_epsilon, s_oneMinusEpsilon);

                // −(y·log p + (1 − y)·log(1 − p)), written without the operators' temporary scalars (1 − x, and x + y's alpha).
                var oneMinusY = y.neg().add(Scalars.One, Scalars.One);
                var oneMinusP = p.neg().add(Scalars.One, Scalars.One);
                var elementwise = y.mul(p.log()).add(oneMinusY.mul(oneMinusP.log()), Scalars.One).neg();
                return elementwise.mean([-1]);
            }

            case Loss.CategoricalCrossentropy:
            {
                var y = AlignElementwise(predictions, targets);
                var p = NormalizeAndClip(predictions);
                return -(y * p.log()).sum(-1);
            }

            case Loss.SparseCategoricalCrossentropy:
            {
                var index = SparseIndices(targets);
                var p = NormalizeAndClip(predictions);
                return -p.log().gather(-1, index.unsqueeze(-1)).squeeze(-1);
            }

            case Loss.MeanSquaredError:
            {
                var y = AlignElementwise(predictions, targets);
                return predictions.sub(y).pow(Scalars.Two).mean([-1]);
            }

            case Loss.MeanAbsoluteError:
            {
                var y = AlignElementwise(predictions, targets);
                return (predictions - y).abs().mean([-1]);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown loss.");
        }
    }

    /// <summary>Converts targets to float32 with the predictions' shape ([B] becomes [B, 1] for a 1-unit output).</summary>
    internal static Tensor AlignElementwise(Tensor predictions, Tensor targets)
    {
        var y = targets.to_type(ScalarType.Float32);
        if (y.dim() == predictions.dim() - 1)
        {
            y = y.unsqueeze(-1);
        }

        return y;
    }

    /// <summary>Converts sparse targets ([B] or [B, 1], integer-valued) to int64 class indices [B].</summary>
    internal static Tensor SparseIndices(Tensor targets)
    {
        var y = targets.dim() == 2 && targets.shape[1] == 1 ? targets.squeeze(-1) : targets;
        return y.to_type(ScalarType.Int64);
    }

    private static Tensor NormalizeAndClip(Tensor predictions)
    {
        var p = predictions / predictions.sum(-1, keepdim: true);
        return p.clamp(s_epsilon, s_oneMinusEpsilon);
    }
}
