// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Data;

/// <summary>
/// One batch of images and labels. The batch owns both tensors: dispose it (or let the consumer's dispose scope
/// take it) when the step is done.
/// </summary>
public sealed class Batch : IDisposable
{
    /// <summary>Creates a batch that takes ownership of <paramref name="images"/> and <paramref name="labels"/>.</summary>
    /// <param name="images">Float32 images [B, C, H, W], already preprocessed.</param>
    /// <param name="labels">Labels in the layout of the source's <see cref="ClassMode"/>, or <see langword="null"/> for <see cref="ClassMode.None"/>.</param>
    /// <exception cref="ArgumentException">The images are not 4-D, or the label count differs from the image count.</exception>
    public Batch(Tensor images, Tensor? labels)
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

        Images = images;
        Labels = labels;
    }

    /// <summary>Gets the images [B, C, H, W], float32.</summary>
    public Tensor Images { get; }

    /// <summary>Gets the labels, or <see langword="null"/> when the source has no labels.</summary>
    public Tensor? Labels { get; }

    /// <summary>Gets the number of samples in the batch (the last batch of an epoch may be smaller).</summary>
    public int Count => (int)Images.shape[0];

    /// <inheritdoc/>
    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
    }
}
