// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>The memory-layout conversions of 4-D tensors, shared by the batch boundary and the layers' kernels.</summary>
internal static class TensorLayout
{
    /// <summary>Returns <paramref name="x"/> with channels-last (NHWC) or contiguous NCHW strides (4-D tensors only; others unchanged).</summary>
    /// <param name="x">The tensor; not disposed.</param>
    /// <param name="channelsLast">Channels-last strides when true, contiguous (channels-first) strides when false.</param>
    /// <returns><paramref name="x"/> itself when it already has that layout, otherwise a new tensor the caller owns.</returns>
    public static Tensor Convert(Tensor x, bool channelsLast)
    {
        if (x.dim() != 4)
        {
            return x;
        }

        if (!channelsLast)
        {
            return x.is_contiguous() ? x : x.contiguous();
        }

        if (IsChannelsLast(x))
        {
            return x;
        }

        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>Gets a value indicating whether a 4-D tensor has channels-last (NHWC) strides.</summary>
    public static bool IsChannelsLast(Tensor x)
    {
        if (x.dim() != 4)
        {
            return false;
        }

        var s = x.stride();
        var shape = x.shape;
        return s[1] == 1 && s[3] == shape[1] && s[2] == shape[1] * shape[3] && s[0] == shape[1] * shape[2] * shape[3];
    }
}
