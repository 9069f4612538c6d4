// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// The batch boundary: the one place where a batch enters the network (device, float32, memory layout) and where
/// outputs leave it (float32), and the one loop that runs a range of layers. Training, evaluation, prediction and
/// every inspection tool go through it.
/// </summary>
public sealed partial class Model
{
    /// <summary>
    /// Gets or sets the precision the layers compute in, for prediction and inspection; <see cref="Compile(CompileOptions)"/>
    /// sets it from <see cref="CompileOptions.Precision"/> for training. With <see cref="Models.Precision.BFloat16"/> the
    /// parameters stay float32 (saved models stay float32 files) and every returned tensor is float32.
    /// </summary>
    /// <value>The default value is <see cref="Models.Precision.Float32"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="Models.Precision"/> member.</exception>
    /// <exception cref="NotSupportedException">bfloat16 was requested on a CPU without bfloat16 units.</exception>
    public Precision Precision
    {
        get;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            PrecisionSupport.Validate(value, Device, "Model.Precision");
            field = value;
            var computeType = value == Precision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
            foreach (var module in _modules)
            {
                module.ComputeType = computeType;
            }
        }
    }

    /// <summary>
    /// Gets or sets the memory layout of feature maps and convolution kernels inside the network. It changes speed,
    /// not results (they agree to float rounding): every tensor keeps its [N, C, H, W] indexing.
    /// </summary>
    /// <value>The default value is <see cref="MemoryLayout.ChannelsLast"/>, which libtorch's CPU convolutions run fastest.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="MemoryLayout"/> member.</exception>
    public MemoryLayout Layout
    {
        get;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (value is not (MemoryLayout.ChannelsLast or MemoryLayout.ChannelsFirst))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Model.Layout must be MemoryLayout.ChannelsLast or MemoryLayout.ChannelsFirst.");
            }

            field = value;
            ApplyLayout();
        }
    }

    /// <summary>Lays out every layer's parameters in <see cref="Layout"/>, in place (the parameter objects stay the same).</summary>
    private void ApplyLayout()
    {
        foreach (var module in _modules)
        {
            module.ApplyLayout(Layout);
        }
    }

    /// <summary>
    /// Puts a batch into the network's form: on the model's device, float32, and in <see cref="Layout"/>. Differentiable,
    /// so input gradients (saliency, activation maximisation) reach the caller's tensor.
    /// </summary>
    /// <param name="images">A batch [N, C, H, W]; not disposed.</param>
    /// <returns>A tensor the caller owns (an alias when nothing had to change).</returns>
    internal Tensor ToNetworkInput(Tensor images)
    {
        var x = images.device == TorchDevice && images.dtype == ScalarType.Float32 ? images.alias() : images.to(ScalarType.Float32, TorchDevice);
        var converted = ToLayout(x, Layout);
        if (!ReferenceEquals(converted, x))
        {
            x.Dispose();
        }

        return converted;
    }

    /// <summary>Moves labels (or any non-image tensor) to the model's device.</summary>
    /// <param name="tensor">The tensor; not disposed.</param>
    /// <returns>A tensor the caller owns (an alias when it is already there).</returns>
    internal Tensor ToModelDevice(Tensor tensor) => tensor.device == TorchDevice ? tensor.alias() : tensor.to(TorchDevice);

    /// <summary>
    /// Runs layers <paramref name="first"/> up to the largest of <paramref name="outputs"/> in the current mode and returns
    /// the float32 outputs of the listed layers, in the order listed. When <paramref name="first"/> is 0, the input goes
    /// through the batch boundary (<see cref="ToNetworkInput"/>); otherwise it must be the previous layer's output on the
    /// model's device. Intermediate outputs are disposed as soon as the next layer has used them (autograd keeps what it needs).
    /// </summary>
    /// <param name="input">The input; not disposed.</param>
    /// <param name="first">The first layer to run.</param>
    /// <param name="outputs">The layers whose outputs to return; each at least <paramref name="first"/>.</param>
    /// <param name="lastBeforeActivation">When true, the last layer run (the largest of <paramref name="outputs"/>) stops
    /// before its activation (<c>LayerModule.ForwardBeforeActivation</c>): the class scores before softmax or sigmoid.</param>
    /// <returns>The outputs; the caller owns them. Four-dimensional outputs are [N, C, H, W] in meaning, with strides of <see cref="Layout"/>.</returns>
    internal Tensor[] RunLayers(Tensor input, int first, IReadOnlyList<int> outputs, bool lastBeforeActivation = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        if (outputs.Count == 0 || outputs.Min() < first || outputs.Max() >= _modules.Length || first < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outputs), $"Layer outputs must lie in {first}..{_modules.Length - 1}.");
        }

        if (first == 0)
        {
            ValidateInput(input);
        }

        var last = outputs.Max();
        var results = new Tensor?[outputs.Count];
        var x = first == 0 ? ToNetworkInput(input) : input.alias();
        try
        {
            for (var i = first; i <= last; i++)
            {
                var y = lastBeforeActivation && i == last ? _modules[i].ForwardBeforeActivation(x) : _modules[i].call(x);
                x.Dispose();
                x = y;
                for (var j = 0; j < outputs.Count; j++)
                {
                    if (outputs[j] == i)
                    {
                        results[j] = x.dtype == ScalarType.Float32 ? x.alias() : x.to_type(ScalarType.Float32);
                    }
                }
            }

            return results.Select(r => r!).ToArray();
        }
        catch
        {
            foreach (var r in results)
            {
                r?.Dispose();
            }

            throw;
        }
        finally
        {
            x.Dispose();
        }
    }

    /// <summary>Runs layers 0..<paramref name="lastLayer"/> and returns the last one's float32 output (see <see cref="RunLayers"/>).</summary>
    /// <param name="input">A batch [N, C, H, W] matching <see cref="InputShape"/>; not disposed.</param>
    /// <param name="lastLayer">The 0-based index of the last layer to run.</param>
    /// <returns>The layer's output; the caller owns it.</returns>
    internal Tensor ForwardTo(Tensor input, int lastLayer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastLayer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(lastLayer, _modules.Length);
        return RunLayers(input, 0, [lastLayer])[0];
    }

    /// <summary>Returns <paramref name="x"/> with the strides of <paramref name="layout"/> (4-D tensors only; others unchanged).</summary>
    /// <param name="x">The tensor; not disposed.</param>
    /// <param name="layout">The layout.</param>
    /// <returns><paramref name="x"/> itself when it already has that layout, otherwise a new tensor the caller owns.</returns>
    internal static Tensor ToLayout(Tensor x, MemoryLayout layout)
    {
        if (x.dim() != 4)
        {
            return x;
        }

        if (layout == MemoryLayout.ChannelsFirst)
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
    internal static bool IsChannelsLast(Tensor x)
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
