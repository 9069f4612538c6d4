// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using ConvViz.Data;
using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Training;

/// <summary>Feature extraction with a pretrained base, the Keras way (Deep Learning with R, 5.3, method 1).</summary>
public static class FeatureExtraction
{
    /// <summary>
    /// Runs <paramref name="model"/> (typically a pretrained convolutional base) once over one pass of
    /// <paramref name="source"/> (its epoch-0 order and augmentation draws) in inference mode, and keeps its outputs and
    /// the source's labels (and sample weights) in memory, like the book's <c>extract_features</c>. Train a small
    /// classifier whose input shape is <see cref="FeatureDataset.FeatureShape"/> on the result: each epoch then costs a
    /// few dense layers instead of the whole base. Without augmentation, as the book notes; for augmentation nest the
    /// frozen base in the model and <c>Fit</c> it on the images instead.
    /// </summary>
    /// <param name="model">The base model; its output may be a feature map or flat. It is not changed.</param>
    /// <param name="source">The images with labels (<see cref="ClassMode.Categorical"/>, <see cref="ClassMode.Binary"/> or <see cref="ClassMode.Sparse"/>); each batch is disposed after use.</param>
    /// <param name="options">Batching of the result and progress, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The features and labels on the CPU; the caller owns the dataset and must dispose it.</returns>
    /// <exception cref="ArgumentException">The source has no labels, or its images do not match the model's input shape (both shapes are named).</exception>
    /// <exception cref="InvalidOperationException">The source yields no batches, or another thread is training the model.</exception>
    /// <exception cref="OperationCanceledException">The operation was cancelled; nothing is kept.</exception>
    public static FeatureDataset ExtractFeatures(this Model model, IBatchSource source, FeatureExtractionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        model.ThrowIfTakesVectors("ExtractFeatures");
        options ??= new FeatureExtractionOptions();
        NativeBackend.EnsureLoaded();
        if (source.ClassMode is not (ClassMode.Categorical or ClassMode.Binary or ClassMode.Sparse))
        {
            throw new ArgumentException(
                $"The source has class mode {source.ClassMode}, which yields no class labels; feature extraction keeps each sample's label for training a classifier. " +
                "Use ClassMode.Categorical, Binary or Sparse.",
                nameof(source));
        }

        if (source.Preprocessing.OutputShape != model.InputShape)
        {
            throw new ArgumentException(
                $"The source yields images of shape {source.Preprocessing.OutputShape} but the model's input shape is {model.InputShape}. " +
                $"Set the source's target size to {model.InputShape.Height}×{model.InputShape.Width} and its color mode to {model.InputShape.Channels} channel(s).",
                nameof(source));
        }

        var output = model.OutputShape;
        var featureShape = output.IsSpatial ? new ImageShape(output.Height, output.Width, output.Channels) : new ImageShape(1, 1, output.Channels);
        var features = new List<Tensor>();
        var labels = new List<Tensor>();
        var weights = new List<Tensor>();
        var steps = source.BatchesPerEpoch;
        var clock = Stopwatch.StartNew();
        try
        {
            var step = 0;

            // No dispose scope is held open while the source advances (a source may keep its own scope open across
            // 'yield return'); each batch gets its own scope, and what is kept is detached from it.
            foreach (var batch in source.GetBatches(0, cancellationToken))
            {
                using (batch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var labelTensor = batch.Labels ?? throw new ArgumentException($"Batch {step} of the source has no labels; feature extraction needs labeled batches.", nameof(source));
                    var predicted = model.Predict(batch.Images, batch.Count);
                    features.Add(predicted.reshape(featureShape.ToBatchShape(batch.Count)).contiguous().DetachFromDisposeScope());
                    labels.Add(labelTensor.detach().cpu().clone().DetachFromDisposeScope());
                    if (batch.SampleWeights is { } sampleWeights)
                    {
                        weights.Add(sampleWeights.detach().cpu().to_type(ScalarType.Float32).clone().DetachFromDisposeScope());
                    }
                }

                step++;
                if (options.Progress is { } progress)
                {
                    var remaining = step >= steps ? TimeSpan.Zero : clock.Elapsed / step * (steps - step);
                    progress.Report(new TrainingProgress(TrainingPhase.FeatureExtractionBatch, 0, 1, step, steps, new Dictionary<string, double>(), clock.Elapsed, remaining));
                }
            }

            if (features.Count == 0)
            {
                throw new InvalidOperationException("The source yielded no batches; there is nothing to extract features from.");
            }

            if (weights.Count != 0 && weights.Count != features.Count)
            {
                throw new ArgumentException("Some batches of the source carry sample weights and others do not; give every batch weights or none.", nameof(source));
            }

            using var all = NewDisposeScope();
            return new FeatureDataset(
                cat(features, 0),
                cat(labels, 0),
                weights.Count == 0 ? null : cat(weights, 0),
                featureShape,
                source,
                options.BatchSize ?? source.BatchSize,
                options.Shuffle,
                options.Seed);
        }
        finally
        {
            foreach (var tensor in features.Concat(labels).Concat(weights))
            {
                tensor.Dispose();
            }
        }
    }
}
