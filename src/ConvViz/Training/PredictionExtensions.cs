// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Training;

/// <summary>Keras' <c>predict_generator</c> and <c>predict_classes</c> over a batch source, next to <see cref="TrainingExtensions.Fit"/>.</summary>
public static class PredictionExtensions
{
    /// <summary>Predicts the outputs for every batch of one pass over <paramref name="source"/> (its epoch-0 order; turn shuffling off to keep file order).</summary>
    /// <param name="model">The model.</param>
    /// <param name="source">The batches; labels are ignored.</param>
    /// <returns>The outputs [samples, units], float32 on the CPU. The caller owns the tensor and must dispose it.</returns>
    /// <exception cref="ArgumentException">A batch does not match <see cref="Model.InputShape"/>.</exception>
    public static Tensor Predict(this Model model, IBatchSource source) => model.Predict(source, CancellationToken.None);

    /// <summary>Predicts the outputs for every batch of one pass over <paramref name="source"/> (its epoch-0 order; turn shuffling off to keep file order).</summary>
    /// <param name="model">The model.</param>
    /// <param name="source">The batches; labels are ignored.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The outputs [samples, units], float32 on the CPU. The caller owns the tensor and must dispose it.</returns>
    /// <exception cref="ArgumentException">A batch does not match <see cref="Model.InputShape"/>.</exception>
    /// <exception cref="OperationCanceledException">The operation was cancelled.</exception>
    public static Tensor Predict(this Model model, IBatchSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        return model.PredictBatches(Batches(model, source, cancellationToken), cancellationToken);
    }

    /// <summary>Predicts the class of every sample of one pass over <paramref name="source"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="source">The batches; labels are ignored.</param>
    /// <returns>One prediction per sample, in the source's epoch-0 order.</returns>
    /// <exception cref="ArgumentException">A batch does not match <see cref="Model.InputShape"/>.</exception>
    /// <exception cref="InvalidOperationException">The model's output is not flat.</exception>
    public static IReadOnlyList<ClassPrediction> PredictClasses(this Model model, IBatchSource source) => model.PredictClasses(source, CancellationToken.None);

    /// <summary>Predicts the class of every sample of one pass over <paramref name="source"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="source">The batches; labels are ignored.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>One prediction per sample, in the source's epoch-0 order.</returns>
    /// <exception cref="ArgumentException">A batch does not match <see cref="Model.InputShape"/>.</exception>
    /// <exception cref="InvalidOperationException">The model's output is not flat.</exception>
    /// <exception cref="OperationCanceledException">The operation was cancelled.</exception>
    public static IReadOnlyList<ClassPrediction> PredictClasses(this Model model, IBatchSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfOutputIsNotClassScores();
        using var probabilities = model.Predict(source, cancellationToken);
        return model.ToClasses(probabilities);
    }

    private static IEnumerable<Tensor> Batches(Model model, IBatchSource source, CancellationToken cancellationToken)
    {
        foreach (var batch in source.GetBatches(0, cancellationToken))
        {
            using (batch)
            {
                model.ValidateInput(batch.Images);
                yield return batch.Images.alias();
            }
        }
    }
}
