// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Imaging;

/// <summary>Copies tensor values to managed arrays, from any device and type; the one device-safe read used by every stage.</summary>
internal static class TensorData
{
    /// <summary>Copies a tensor's values, in row-major (C) order of its logical shape, to a new float array.</summary>
    /// <param name="tensor">Any tensor; copied to the CPU and converted to float32 if needed; not disposed.</param>
    /// <returns>The values.</returns>
    public static float[] ToArray(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        NativeBackend.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = tensor.detach().to(CPU).to_type(ScalarType.Float32).contiguous().reshape(-1);
        return flat.data<float>().ToArray();
    }
}
