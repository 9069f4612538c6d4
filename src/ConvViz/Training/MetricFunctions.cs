// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Training;

/// <summary>Keras accuracy metrics, computed per sample so that epoch means can be weighted by batch size.</summary>
internal static class MetricFunctions
{
    /// <summary>Keras' default threshold of <c>binary_accuracy</c>.</summary>
    internal const double BinaryThreshold = 0.5;

    // Held for the process, so no temporary Scalar can be finalized during the comparison (see Scalars).
    private static readonly TorchSharp.Scalar s_binaryThreshold = Scalars.Permanent(BinaryThreshold);

    /// <summary>Gets the history key of a metric, as Keras names it after the string the user passed.</summary>
    /// <param name="metric">The metric.</param>
    /// <returns><c>accuracy</c>, <c>binary_accuracy</c>, <c>categorical_accuracy</c> or <c>sparse_categorical_accuracy</c>.</returns>
    internal static string Key(Metric metric) => metric switch
    {
        Metric.Accuracy => "accuracy",
        Metric.BinaryAccuracy => "binary_accuracy",
        Metric.CategoricalAccuracy => "categorical_accuracy",
        Metric.SparseCategoricalAccuracy => "sparse_categorical_accuracy",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric."),
    };

    /// <summary>
    /// Resolves <see cref="Metric.Accuracy"/> from the shapes as tf.keras does: binary when the output has one unit,
    /// sparse when the targets have a lower rank than the predictions (or one column against several units), categorical otherwise.
    /// Other metrics are returned unchanged.
    /// </summary>
    /// <param name="metric">The requested metric.</param>
    /// <param name="predictionShape">The shape of the predictions [B, K].</param>
    /// <param name="targetShape">The shape of the targets.</param>
    /// <returns>The concrete metric.</returns>
    internal static Metric Resolve(Metric metric, ReadOnlySpan<long> predictionShape, ReadOnlySpan<long> targetShape)
    {
        if (metric != Metric.Accuracy)
        {
            return metric;
        }

        if (predictionShape[^1] == 1)
        {
            return Metric.BinaryAccuracy;
        }

        var sparse = targetShape.Length < predictionShape.Length || (targetShape[^1] == 1 && predictionShape[^1] > 1);
        return sparse ? Metric.SparseCategoricalAccuracy : Metric.CategoricalAccuracy;
    }

    /// <summary>Computes the metric of every sample.</summary>
    /// <param name="metric">The metric; <see cref="Metric.Accuracy"/> is resolved from the shapes first.</param>
    /// <param name="predictions">Model outputs [B, K].</param>
    /// <param name="targets">Targets in the layout the metric expects.</param>
    /// <returns>A float32 tensor [B] of values in [0, 1]; the caller owns it.</returns>
    internal static Tensor PerSample(Metric metric, Tensor predictions, Tensor targets)
    {
        switch (Resolve(metric, predictions.shape, targets.shape))
        {
            case Metric.BinaryAccuracy:
            {
                var y = LossFunctions.AlignElementwise(predictions, targets);
                var predicted = predictions.gt(s_binaryThreshold).to_type(ScalarType.Float32);
                return predicted.eq(y).to_type(ScalarType.Float32).mean([-1]);
            }

            case Metric.CategoricalAccuracy:
                return predictions.argmax(-1).eq(targets.argmax(-1)).to_type(ScalarType.Float32);

            case Metric.SparseCategoricalAccuracy:
                return predictions.argmax(-1).eq(LossFunctions.SparseIndices(targets)).to_type(ScalarType.Float32);

            default:
                throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric.");
        }
    }
}
