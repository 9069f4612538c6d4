// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>A 2-D max pooling layer (Keras <c>layer_max_pooling_2d</c> / <c>MaxPooling2D</c>) with its arguments.</summary>
[LayerType("MaxPooling2D", "max_pooling2d")]
public sealed record MaxPooling2DOptions : Pooling2DOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    internal static MaxPooling2DOptions Read(LayerReader r) =>
        new() { PoolSize = r.Size("pool_size"), Strides = r.NullableSize("strides"), Padding = r.Enum<Padding>("padding"), ExplicitPadding = ReadExplicitPadding(r) };

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Pool("MaxPool", inputs[0], this);

    internal override LayerDefinition Define(LayerContext context) =>
        DefineWindow(context, (pool, strides, padding) => new MaxPool2DModule(context.Name, pool, strides, padding));
}

/// <summary>
/// Max pooling; padding ('same' or explicit) pads with −∞ so padded positions never win, as TensorFlow and ONNX. Where
/// libtorch's own pooling gives the same windows (its implicit padding, which never wins either, and its ceil mode for
/// an extra row or column at the end, as in 'same' pooling with stride 2 on an even size), it pools without copying the
/// input into a padded tensor; otherwise it pads explicitly first.
/// </summary>
internal sealed class MaxPool2DModule : LayerModule
{
    private readonly long[] _pool;
    private readonly long[] _strides;
    private readonly WindowPadding _padding;

    public MaxPool2DModule(string name, Size2D pool, Size2D strides, WindowPadding padding)
        : base(name)
    {
        _pool = [pool.Height, pool.Width];
        _strides = [strides.Height, strides.Width];
        _padding = padding;
    }

    public override Tensor forward(Tensor input)
    {
        if (_padding.IsZero)
        {
            return nn.functional.max_pool2d(input, _pool, _strides);
        }

        if (ImplicitPadding(input.shape[^2], input.shape[^1]) is { } implicitPadding)
        {
            return nn.functional.max_pool2d(input, _pool, _strides, implicitPadding.Padding, ceil_mode: implicitPadding.CeilMode);
        }

        using var padded = nn.functional.pad(input, _padding.ToPadArgument(), value: double.NegativeInfinity);
        return nn.functional.max_pool2d(padded, _pool, _strides);
    }

    /// <summary>
    /// libtorch's padding and ceil mode that give exactly the windows of the explicit padding on a
    /// <paramref name="height"/> × <paramref name="width"/> input, or <see langword="null"/> when there are none. The
    /// windows start at the same places when libtorch pads each axis by its leading padding; libtorch ignores its padding
    /// as −∞ does, so only the number of windows has to agree (an extra trailing row or column is what ceil mode adds).
    /// </summary>
    internal (long[] Padding, bool CeilMode)? ImplicitPadding(long height, long width)
    {
        foreach (var ceilMode in (ReadOnlySpan<bool>)[false, true])
        {
            if (AxisAgrees(height, _pool[0], _strides[0], _padding.Top, _padding.Bottom, ceilMode)
                && AxisAgrees(width, _pool[1], _strides[1], _padding.Left, _padding.Right, ceilMode))
            {
                return ([_padding.Top, _padding.Left], ceilMode);
            }
        }

        return null;
    }

    private static bool AxisAgrees(long size, long pool, long stride, long begin, long end, bool ceilMode)
    {
        // libtorch refuses padding larger than half the window.
        if (begin > pool / 2 || size + begin + end < pool)
        {
            return false;
        }

        var wanted = ((size + begin + end - pool) / stride) + 1;
        var torch = Math.Max(0, ((size + (2 * begin) - pool + (ceilMode ? stride - 1 : 0)) / stride) + 1);
        if (ceilMode && (torch - 1) * stride >= size + begin)
        {
            torch--;
        }

        return torch == wanted;
    }
}
