// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ConvViz.Imaging;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// Converts activation tensors for other tools: Keras' channels-last order, plain float arrays and NumPy <c>.npy</c> files.
/// </summary>
public static class ActivationExport
{
    /// <summary>
    /// Returns a feature-map batch in Keras order: [N, C, H, W] becomes [N, H, W, C] (so the blog's layer 6 reads
    /// [1, 33, 33, 64]). Rank-2 tensors [N, F] are returned unchanged (as a new handle).
    /// </summary>
    /// <param name="activations">A tensor [N, C, H, W] or [N, F]; not disposed.</param>
    /// <returns>A contiguous tensor in Keras order; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The tensor is neither rank 2 nor rank 4.</exception>
    public static Tensor ToKerasOrder(Tensor activations)
    {
        ArgumentNullException.ThrowIfNull(activations);
        NativeBackend.EnsureLoaded();
        return activations.dim() switch
        {
            4 => activations.permute(0, 2, 3, 1).contiguous(),
            2 => activations.alias(),
            _ => throw new ArgumentException(
                $"Expected activations [N, C, H, W] or [N, F]; got [{string.Join(", ", activations.shape)}].", nameof(activations)),
        };
    }

    /// <summary>Copies a tensor's values, in row-major (C) order of its current layout, to a new float array.</summary>
    /// <param name="tensor">Any tensor; converted to float32 on the CPU if needed; not disposed.</param>
    /// <returns>The values.</returns>
    public static float[] ToArray(Tensor tensor) => TensorData.ToArray(tensor);

    /// <summary>Writes a tensor as a NumPy <c>.npy</c> file (format 1.0, little-endian float32, C order).</summary>
    /// <param name="tensor">The tensor; not disposed.</param>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="kerasOrder">Whether to write a 4-D tensor as Keras' [N, H, W, C] (the default, as <see cref="ActivationSet.SaveNpy"/>) instead of [N, C, H, W].</param>
    public static void SaveNpy(Tensor tensor, string path, bool kerasOrder = true)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.Write(path, stream => WriteNpy(tensor, stream, kerasOrder));
    }

    /// <summary>Writes a tensor in NumPy <c>.npy</c> format (1.0, little-endian float32, C order) to a stream.</summary>
    /// <param name="tensor">The tensor; not disposed.</param>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="kerasOrder">Whether to write a 4-D tensor as Keras' [N, H, W, C] (the default, as <see cref="ActivationSet.SaveNpy"/>) instead of [N, C, H, W].</param>
    public static void WriteNpy(Tensor tensor, Stream stream, bool kerasOrder = true)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(stream);
        NativeBackend.EnsureLoaded();
        long[] shape;
        float[] values;
        if (kerasOrder && tensor.dim() == 4)
        {
            using var keras = ToKerasOrder(tensor);
            shape = keras.shape;
            values = ToArray(keras);
        }
        else
        {
            shape = tensor.shape;
            values = ToArray(tensor);
        }

        WriteNpy(shape, values, stream);
    }

    internal static void WriteNpy(long[] shape, ReadOnlySpan<float> values, Stream stream)
    {
        var dims = shape.Length switch
        {
            0 => "()",
            1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + dims + ", }";

        // Magic (6) + version (2) + header length (2) + header, padded with spaces and a final '\n' to a multiple of 64 bytes.
        const int Preamble = 10;
        var total = Preamble + header.Length + 1;
        var padded = (total + 63) / 64 * 64;
        header = header + new string(' ', padded - total) + "\n";

        Span<byte> preamble = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0, 0];
        BinaryPrimitives.WriteUInt16LittleEndian(preamble[8..], checked((ushort)header.Length));
        stream.Write(preamble);
        stream.Write(Encoding.ASCII.GetBytes(header));

        var buffer = new byte[4 * Math.Min(values.Length, 16384)];
        var offset = 0;
        while (offset < values.Length)
        {
            var n = Math.Min(values.Length - offset, buffer.Length / 4);
            for (var i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), values[offset + i]);
            }

            stream.Write(buffer, 0, 4 * n);
            offset += n;
        }
    }
}
