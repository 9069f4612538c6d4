// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Where a model's parameters live and its computations run.</summary>
public enum ComputeDevice
{
    /// <summary>The CPU (the default). Every libtorch backend package supports it.</summary>
    Cpu = 0,

    /// <summary>The first NVIDIA GPU. Needs a CUDA backend package (<c>TorchSharp-cuda-linux</c> or <c>TorchSharp-cuda-windows</c>) and a GPU.</summary>
    Cuda,
}
