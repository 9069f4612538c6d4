// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>The order of a feature map's axes as a layer sees them (Keras <c>data_format</c>).</summary>
public enum DataFormat
{
    /// <summary>Height, width, channels (Keras' default, <c>"channels_last"</c>).</summary>
    ChannelsLast,

    /// <summary>Channels, height, width (Keras <c>"channels_first"</c>; the order of PyTorch and ONNX).</summary>
    ChannelsFirst,
}
