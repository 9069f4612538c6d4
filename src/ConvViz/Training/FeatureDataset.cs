// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Imaging;
using static TorchSharp.torch;

namespace ConvViz.Training;

/// <summary>
/// The outputs of a (frozen, pretrained) base model over a dataset, with the dataset's labels, in memory: what
/// <see cref="FeatureExtraction.ExtractFeatures"/> returns (Deep Learning with R, 5.3, "feature extraction without data
/// augmentation"). Its batches hold features [B, C, H, W] of shape <see cref="FeatureShape"/> instead of images; train a
/// small classifier built for that input shape on it with <c>Fit</c>, evaluate it with <c>Evaluate</c>. The dataset
/// owns its tensors: dispose it.
/// </summary>
public sealed class FeatureDataset : IBatchSource, IDisposable
{
    // The features are kept as one-row grayscale "images" [N, 1, 1, C·H·W] in an InMemoryDataset, which brings the
    // batching, shuffling, labels and sample weights; each batch is viewed back as [B, C, H, W].
    private readonly InMemoryDataset _rows;

    internal FeatureDataset(Tensor features, Tensor labels, Tensor? sampleWeights, ImageShape featureShape, IBatchSource source, int batchSize, bool shuffle, int? seed)
    {
        FeatureShape = featureShape;
        Preprocessing = source.Preprocessing;
        using var scope = NewDisposeScope();
        using var rows = features.reshape(features.shape[0], 1, 1, featureShape.ElementCount);
        _rows = new InMemoryDataset(rows, labels, batchSize, source.ClassMode, shuffle, seed, source.ClassNames, sampleWeights);
    }

    /// <summary>Gets the shape of one sample's features (Keras order): the input shape of a classifier trained on them.</summary>
    /// <value>For a base ending in a feature map its output shape, for example (4, 4, 512); for a flat output of F values (1, 1, F).</value>
    public ImageShape FeatureShape { get; }

    /// <inheritdoc/>
    public int SampleCount => _rows.SampleCount;

    /// <inheritdoc/>
    public int BatchSize => _rows.BatchSize;

    /// <inheritdoc/>
    public int BatchesPerEpoch => _rows.BatchesPerEpoch;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => _rows.ClassNames;

    /// <inheritdoc/>
    public ClassMode ClassMode => _rows.ClassMode;

    /// <summary>
    /// Gets the preprocessing of the images the features were computed from (the source's). The batches hold features
    /// of shape <see cref="FeatureShape"/>, not images of this preprocessing's output shape; <c>Fit</c> and
    /// <c>Evaluate</c> check a model against <see cref="FeatureShape"/> and do not copy this preprocessing onto it.
    /// </summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Gets a value indicating whether each epoch is shuffled.</summary>
    public bool Shuffle => _rows.Shuffle;

    /// <summary>Gets the shuffle seed (the given one, or the one drawn from the global seed).</summary>
    public int Seed => _rows.Seed;

    /// <inheritdoc/>
    public IEnumerable<Batch> GetBatches(int epoch, CancellationToken cancellationToken = default)
    {
        var rows = _rows.GetBatches(epoch, cancellationToken);
        return Reshape(rows);
    }

    /// <inheritdoc/>
    public void Dispose() => _rows.Dispose();

    private IEnumerable<Batch> Reshape(IEnumerable<Batch> rows)
    {
        foreach (var row in rows)
        {
            Tensor images;
            using (var scope = NewDisposeScope())
            {
                images = row.Images.reshape(FeatureShape.ToBatchShape(row.Count)).DetachFromDisposeScope();
            }

            // The view keeps the storage alive; the row's labels and weights move to the new batch.
            row.Images.Dispose();
            yield return new Batch(images, row.Labels, row.SampleWeights);
        }
    }
}
