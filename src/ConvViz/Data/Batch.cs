// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Data;

/// <summary>
/// One batch of images, labels and optional sample weights. The batch owns its tensors: dispose it (or let the consumer's dispose scope
/// take it) when the step is done.
/// </summary>
public sealed class Batch : IDisposable
{
    /// <summary>Creates a batch that takes ownership of <paramref name="images"/> and <paramref name="labels"/>.</summary>
    /// <param name="images">Float32 images [B, C, H, W], already preprocessed.</param>
    /// <param name="labels">Labels in the layout of the source's <see cref="ClassMode"/>, or <see langword="null"/> for <see cref="ClassMode.None"/>.</param>
    /// <exception cref="ArgumentException">The images are not 4-D, or the label count differs from the image count.</exception>
    public Batch(Tensor images, Tensor? labels)
        : this(images, labels, null)
    {
    }

    /// <summary>
    /// Creates a batch with per-sample weights (Keras' <c>sample_weight</c>) that takes ownership of all three tensors.
    /// </summary>
    /// <param name="images">Float32 images [B, C, H, W], already preprocessed.</param>
    /// <param name="labels">Labels in the layout of the source's <see cref="ClassMode"/>, or <see langword="null"/> for <see cref="ClassMode.None"/>.</param>
    /// <param name="sampleWeights">One weight per sample [B] (float32), or <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentException">The images are not 4-D, or the label or weight count differs from the image count.</exception>
    public Batch(Tensor images, Tensor? labels, Tensor? sampleWeights)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"Images must be [B, C, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (labels is not null && labels.shape[0] != images.shape[0])
        {
            throw new ArgumentException($"The batch has {images.shape[0]} images but {labels.shape[0]} labels.", nameof(labels));
        }

        if (sampleWeights is not null && (sampleWeights.dim() != 1 || sampleWeights.shape[0] != images.shape[0]))
        {
            throw new ArgumentException($"The batch has {images.shape[0]} images but sample weights of shape [{string.Join(", ", sampleWeights.shape)}]; give one weight per sample, [{images.shape[0]}].", nameof(sampleWeights));
        }

        Images = images;
        Labels = labels;
        SampleWeights = sampleWeights;
    }

    /// <summary>Gets the images [B, C, H, W], float32.</summary>
    public Tensor Images { get; }

    /// <summary>Gets the labels, or <see langword="null"/> when the source has no labels.</summary>
    public Tensor? Labels { get; }

    /// <summary>
    /// Gets the weight of each sample [B], or <see langword="null"/> when the source has none. <c>Fit</c> multiplies each
    /// sample's loss by it (and by its class weight), as Keras does with <c>sample_weight</c>; see <c>FitOptions.ClassWeights</c>.
    /// </summary>
    public Tensor? SampleWeights { get; }

    /// <summary>Gets the number of samples in the batch (the last batch of an epoch may be smaller).</summary>
    public int Count => (int)Images.shape[0];

    /// <inheritdoc/>
    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
        SampleWeights?.Dispose();
    }
}
