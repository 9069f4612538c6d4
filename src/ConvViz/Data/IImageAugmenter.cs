// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Data;

/// <summary>
/// Random augmentation a dataset applies to each batch before standardisation; implemented by
/// <c>ConvViz.Augmentation.Augmenter</c>. Seeds are per image, so results do not depend on batching or worker threads.
/// </summary>
public interface IImageAugmenter
{
    /// <summary>Gets a value indicating whether the augmenter never changes an image (the dataset then skips it).</summary>
    bool IsIdentity { get; }

    /// <summary>Augments a batch.</summary>
    /// <param name="images">Float32 [B, C, H, W] in pixel units (0–255); not disposed.</param>
    /// <param name="seeds">One seed per image.</param>
    /// <returns>A new float32 tensor [B, C, H, W]; the caller owns it.</returns>
    Tensor Augment(Tensor images, IReadOnlyList<int> seeds);
}
