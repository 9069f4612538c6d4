// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using static TorchSharp.torch;

namespace ConvViz.Data;

/// <summary>
/// A batch source over tensors already in memory: images [N, C, H, W] (already preprocessed) and labels.
/// Useful for tests, generated data and arrays from other tools. The dataset owns copies of the tensors.
/// </summary>
public sealed class InMemoryDataset : IBatchSource, IDisposable
{
    private readonly Tensor _images;
    private readonly Tensor? _labels;
    private readonly Tensor? _sampleWeights;
    private bool _disposed;

    /// <summary>Creates the dataset from copies of <paramref name="images"/> and <paramref name="labels"/> (the arguments are not disposed).</summary>
    /// <param name="images">Float32 images [N, C, H, W].</param>
    /// <param name="labels">Labels with N rows in the layout of <paramref name="classMode"/>, or <see langword="null"/> for <see cref="ClassMode.None"/>.</param>
    /// <param name="batchSize">Batch size; at least 1.</param>
    /// <param name="classMode">The label layout.</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new, seeded order.</param>
    /// <param name="seed">
    /// Seed of the shuffle order, or <see langword="null"/> for the next seed drawn from the global seed of
    /// <c>ConvVizRuntime.Seed</c> (0 when none is set).
    /// </param>
    /// <param name="classNames">Class names in label order, or <see langword="null"/>.</param>
    /// <param name="sampleWeights">
    /// Keras' <c>sample_weight</c>: one finite, non-negative weight per image [N], carried on each <see cref="Batch"/>
    /// and multiplied into that sample's loss by <c>Fit</c> and <c>Evaluate</c>; or <see langword="null"/> for none.
    /// </param>
    /// <exception cref="ArgumentException">The shapes do not fit together, the images do not have 1, 3 or 4 channels, or a sample weight is negative or not finite.</exception>
    public InMemoryDataset(Tensor images, Tensor? labels, int batchSize, ClassMode classMode = ClassMode.Categorical, bool shuffle = false, int? seed = null, IReadOnlyList<string>? classNames = null, Tensor? sampleWeights = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (images.dim() != 4 || images.shape[0] == 0)
        {
            throw new ArgumentException($"Images must be a non-empty [N, C, H, W] tensor; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (labels is null != (classMode is ClassMode.None or ClassMode.Input))
        {
            throw new ArgumentException($"Class mode {classMode} {(labels is null ? "needs labels" : "takes no labels")}.", nameof(labels));
        }

        if (labels is not null && labels.shape[0] != images.shape[0])
        {
            throw new ArgumentException($"There are {images.shape[0]} images but {labels.shape[0]} labels.", nameof(labels));
        }

        if (sampleWeights is not null)
        {
            if (sampleWeights.dim() != 1 || sampleWeights.shape[0] != images.shape[0])
            {
                throw new ArgumentException($"There are {images.shape[0]} images but sample weights of shape [{string.Join(", ", sampleWeights.shape)}]; give one weight per image, [{images.shape[0]}].", nameof(sampleWeights));
            }

            using var scope = NewDisposeScope();
            var weights = sampleWeights.detach().to_type(ScalarType.Float64);
            if (!weights.isfinite().all().item<bool>() || weights.lt(Scalars.Zero).any().item<bool>())
            {
                throw new ArgumentException("Sample weights must be finite and non-negative.", nameof(sampleWeights));
            }
        }

        var colorMode = ColorModes.FromChannels(images.shape[1]) ?? throw new ArgumentException(
            $"The images have {images.shape[1]} channels; image datasets hold 1 (grayscale), 3 (RGB) or 4 (RGBA) channels. Reshape the tensor to one of these.",
            nameof(images));
        _images = images.detach().clone().DetachFromDisposeScope();
        _labels = labels?.detach().clone().DetachFromDisposeScope();
        _sampleWeights = sampleWeights?.detach().to_type(ScalarType.Float32).clone().DetachFromDisposeScope();
        BatchSize = batchSize;
        ClassMode = classMode;
        Shuffle = shuffle;
        Seed = seed ?? SeedStore.Next(SeedComponent.InMemoryDataset) ?? 0;
        ClassNames = classNames?.ToArray() ?? [];
        Preprocessing = new ImagePreprocessing
        {
            TargetHeight = (int)images.shape[2],
            TargetWidth = (int)images.shape[3],
            ColorMode = colorMode,
        };
    }

    /// <inheritdoc/>
    public int SampleCount => (int)_images.shape[0];

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <inheritdoc/>
    public int BatchesPerEpoch => (SampleCount + BatchSize - 1) / BatchSize;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc/>
    public ClassMode ClassMode { get; }

    /// <inheritdoc/>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Gets a value indicating whether each epoch is shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>Gets the shuffle seed (the given one, or the one drawn from the global seed).</summary>
    public int Seed { get; }

    /// <inheritdoc/>
    public IEnumerable<Batch> GetBatches(int epoch, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var order = Enumerable.Range(0, SampleCount).ToArray();
        if (Shuffle)
        {
            new Random(SeedMixer.Mix(Seed, epoch)).Shuffle(order);
        }

        return Iterate(order, cancellationToken);
    }

    private IEnumerable<Batch> Iterate(int[] order, CancellationToken cancellationToken)
    {
        for (var start = 0; start < order.Length; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(_disposed, this);
            var count = Math.Min(BatchSize, order.Length - start);
            // The scope must be closed before yielding: a scope left open across 'yield return' would capture
            // (and later dispose) tensors that the consumer creates on this thread.
            var (images, labels, weights) = Select(order.AsSpan(start, count));
            yield return new Batch(images, labels, weights);
        }
    }

    private (Tensor Images, Tensor? Labels, Tensor? Weights) Select(ReadOnlySpan<int> indices)
    {
        using var scope = NewDisposeScope();
        var longs = new long[indices.Length];
        for (var i = 0; i < longs.Length; i++)
        {
            longs[i] = indices[i];
        }

        var index = tensor(longs);
        var images = _images.index_select(0, index);
        var labels = ClassMode == ClassMode.Input ? images.clone() : _labels?.index_select(0, index);
        var weights = _sampleWeights?.index_select(0, index);
        images.DetachFromDisposeScope();
        labels?.DetachFromDisposeScope();
        weights?.DetachFromDisposeScope();
        return (images, labels, weights);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _images.Dispose();
        _labels?.Dispose();
        _sampleWeights?.Dispose();
    }
}
