// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models;

public sealed partial class Model
{
    /// <summary>The default batch size of prediction, as Keras' <c>predict</c>.</summary>
    public const int DefaultPredictBatchSize = 32;

    /// <summary>Predicts the outputs (probabilities for softmax or sigmoid models) of a batch of images, 32 at a time.</summary>
    /// <param name="images">Preprocessed float images [N, C, H, W] matching <see cref="InputShape"/> (or vectors [N, features] for a model that takes vectors, see <see cref="InputLayerShape"/>), on any device; not disposed.</param>
    /// <returns>The outputs [N, units], float32 on the CPU. The caller owns the tensor and must dispose it.</returns>
    /// <exception cref="ArgumentException">The images do not match <see cref="InputLayerShape"/>.</exception>
    public Tensor Predict(Tensor images) => Predict(images, DefaultPredictBatchSize);

    /// <summary>
    /// Predicts the outputs of a batch of images like Keras' <c>predict</c>: in evaluation mode (dropout off,
    /// batch normalization on its moving statistics), without gradients, <paramref name="batchSize"/> images at a
    /// time. The model's training mode is restored afterwards.
    /// </summary>
    /// <param name="images">Preprocessed float images [N, C, H, W] matching <see cref="InputShape"/> (or vectors [N, features] for a model that takes vectors, see <see cref="InputLayerShape"/>), on any device; not disposed.</param>
    /// <param name="batchSize">Images per forward pass; at least 1.</param>
    /// <returns>The outputs [N, units], float32 on the CPU. The caller owns the tensor and must dispose it.</returns>
    /// <exception cref="ArgumentException">The images do not match <see cref="InputLayerShape"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public Tensor Predict(Tensor images, int batchSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ValidateInput(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        NativeBackend.EnsureLoaded();
        var count = images.shape[0];
        return RunInference(Slices(images, count, batchSize), CancellationToken.None);
    }

    /// <summary>Predicts the class of each image, like Keras' <c>predict_classes</c>, with names from <see cref="ClassNames"/>.</summary>
    /// <param name="images">Preprocessed float images [N, C, H, W] matching <see cref="InputShape"/> (or vectors [N, features] for a model that takes vectors, see <see cref="InputLayerShape"/>); not disposed.</param>
    /// <returns>One prediction per image.</returns>
    /// <exception cref="ArgumentException">The images do not match <see cref="InputLayerShape"/>.</exception>
    /// <exception cref="InvalidOperationException">The model's output is not flat (it does not end in Dense or global pooling).</exception>
    public IReadOnlyList<ClassPrediction> PredictClasses(Tensor images) => PredictClasses(images, DefaultPredictBatchSize);

    /// <summary>Predicts the class of each image, like Keras' <c>predict_classes</c>, with names from <see cref="ClassNames"/>.</summary>
    /// <param name="images">Preprocessed float images [N, C, H, W] matching <see cref="InputShape"/> (or vectors [N, features] for a model that takes vectors, see <see cref="InputLayerShape"/>); not disposed.</param>
    /// <param name="batchSize">Images per forward pass; at least 1.</param>
    /// <returns>One prediction per image.</returns>
    /// <exception cref="ArgumentException">The images do not match <see cref="InputLayerShape"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">The model's output is not flat (it does not end in Dense or global pooling).</exception>
    public IReadOnlyList<ClassPrediction> PredictClasses(Tensor images, int batchSize)
    {
        ThrowIfOutputIsNotClassScores();
        using var probabilities = Predict(images, batchSize);
        return ToClasses(probabilities);
    }

    private static IEnumerable<Tensor> Slices(Tensor images, long count, int batchSize)
    {
        for (long start = 0; start < count; start += batchSize)
        {
            yield return images.narrow(0, start, Math.Min(batchSize, count - start));
        }
    }

    /// <summary>
    /// Predicts the outputs of <paramref name="batches"/> (each validated against <see cref="InputShape"/> by the
    /// caller's enumerator and disposed here); the entry of the prediction over a batch source.
    /// </summary>
    internal Tensor PredictBatches(IEnumerable<Tensor> batches, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        NativeBackend.EnsureLoaded();
        return RunInference(batches, cancellationToken);
    }

    /// <summary>Refuses class predictions for a model whose output is a feature map.</summary>
    internal void ThrowIfOutputIsNotClassScores()
    {
        if (OutputShape.IsSpatial)
        {
            throw new InvalidOperationException($"The model's output {OutputShape} is a feature map, not class scores; end the model with a Dense layer.");
        }
    }

    /// <summary>
    /// Runs each batch (disposing it) in evaluation mode without gradients and concatenates the CPU outputs.
    /// No dispose scope is held open while the enumerator advances, because a batch source may keep its own scope
    /// open across <c>yield return</c>; outputs are detached and disposed explicitly instead. Concurrent calls share
    /// evaluation mode and the last one restores the training mode (see <see cref="BeginInference"/>).
    /// </summary>
    private Tensor RunInference(IEnumerable<Tensor> batches, CancellationToken cancellationToken)
    {
        var outputs = new List<Tensor>();
        using var lease = BeginInference("Predict");
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in batches)
            {
                using var owned = batch;
                cancellationToken.ThrowIfCancellationRequested();
                using var batchScope = NewDisposeScope();
                var output = Run(batch, [_modules.Length - 1])[0].cpu();
                outputs.Add(output.DetachFromDisposeScope());
            }

            using var scope = NewDisposeScope();
            var result = outputs.Count switch
            {
                0 => zeros(OutputShape.ToTorchShape(0)),
                1 => outputs[0].alias(),
                _ => cat(outputs, 0),
            };
            return result.MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var output in outputs)
            {
                output.Dispose();
            }
        }
    }

    internal ClassPrediction[] ToClasses(Tensor probabilities)
    {
        using var scope = NewDisposeScope();
        var n = (int)probabilities.shape[0];
        var units = (int)probabilities.shape[1];
        var names = ClassNames;
        var result = new ClassPrediction[n];
        if (units == 1)
        {
            var p = probabilities.reshape(n).data<float>().ToArray();
            for (var i = 0; i < n; i++)
            {
                var index = p[i] > 0.5f ? 1 : 0;
                result[i] = new ClassPrediction(index, names.Count == 2 ? names[index] : null, index == 1 ? p[i] : 1 - p[i]);
            }

            return result;
        }

        var (values, indices) = probabilities.max(1);
        var best = values.data<float>().ToArray();
        var classes = indices.data<long>().ToArray();
        for (var i = 0; i < n; i++)
        {
            var index = (int)classes[i];
            result[i] = new ClassPrediction(index, names.Count == units ? names[index] : null, best[i]);
        }

        return result;
    }
}
