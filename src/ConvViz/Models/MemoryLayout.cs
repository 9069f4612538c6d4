// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>
/// How feature maps and convolution kernels are laid out in memory inside a <see cref="Model"/> (see
/// <see cref="Model.Layout"/>). The layout never changes what an index means: every tensor is still indexed
/// [N, C, H, W], only its strides differ.
/// </summary>
public enum MemoryLayout
{
    /// <summary>
    /// Channels last (NHWC strides, the default): the channel is the fastest-varying axis in memory, which libtorch's
    /// CPU convolutions (oneDNN) run 1.5–2× faster than channels first, and which Keras itself uses.
    /// </summary>
    ChannelsLast = 0,

    /// <summary>Channels first (contiguous NCHW strides), PyTorch's default.</summary>
    ChannelsFirst,
}
