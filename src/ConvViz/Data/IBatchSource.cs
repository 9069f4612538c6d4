// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;

namespace ConvViz.Data;

/// <summary>
/// A finite, re-iterable source of batches: what <c>flow_images_from_directory</c> returns in Keras.
/// Implemented by <see cref="InMemoryDataset"/> and the image-folder dataset; consumed by training and prediction.
/// </summary>
public interface IBatchSource
{
    /// <summary>Gets the number of samples in one pass.</summary>
    int SampleCount { get; }

    /// <summary>Gets the batch size; the last batch of a pass may be smaller.</summary>
    int BatchSize { get; }

    /// <summary>Gets the number of batches in one pass: ⌈<see cref="SampleCount"/> / <see cref="BatchSize"/>⌉.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>Gets the class names in label order (index i is class i); empty when the source has no classes.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Gets the label layout of the batches.</summary>
    ClassMode ClassMode { get; }

    /// <summary>Gets the preprocessing every image goes through; prediction on a single image must use the same.</summary>
    ImagePreprocessing Preprocessing { get; }

    /// <summary>
    /// Enumerates one pass of batches. With shuffling on, <paramref name="epoch"/> selects the permutation, so the
    /// same seed and epoch give the same order. Each yielded <see cref="Batch"/> is owned by the caller.
    /// </summary>
    /// <param name="epoch">The 0-based epoch number (selects the shuffle order and augmentation draws).</param>
    /// <param name="cancellationToken">Stops the enumeration between batches.</param>
    /// <returns>The batches of one pass.</returns>
    IEnumerable<Batch> GetBatches(int epoch, CancellationToken cancellationToken = default);
}
