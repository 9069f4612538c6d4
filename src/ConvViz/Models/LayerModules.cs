// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics.CodeAnalysis;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>Base of the TorchSharp modules that implement ConvViz layers (one module per Keras layer).</summary>
internal abstract class LayerModule : nn.Module<Tensor, Tensor>
{
    protected LayerModule(string name)
        : base(name)
    {
    }
}

/// <summary>Conv2D with Keras' glorot-uniform kernel, zero bias and a fused activation. Parameters: <c>kernel</c>, <c>bias</c>.</summary>
[SuppressMessage("Reliability", "CA2213", Justification = "Registered parameters are disposed by Module.Dispose.")]
internal sealed class Conv2DModule : LayerModule
{
    private readonly Parameter _kernel;
    private readonly Parameter? _bias;
    private readonly long[] _strides;
    private readonly long[] _padding;
    private readonly long[] _dilation;
    private readonly Activation _activation;

    public Conv2DModule(string name, int inChannels, int filters, (int H, int W) kernel, (int H, int W) strides, (int H, int W) padding, (int H, int W) dilation, bool useBias, Activation activation)
        : base(name)
    {
        _kernel = new Parameter(empty(filters, inChannels, kernel.H, kernel.W));
        nn.init.xavier_uniform_(_kernel);
        register_parameter("kernel", _kernel);
        if (useBias)
        {
            _bias = new Parameter(zeros(filters));
            register_parameter("bias", _bias);
        }

        _strides = [strides.H, strides.W];
        _padding = [padding.H, padding.W];
        _dilation = [dilation.H, dilation.W];
        _activation = activation;
    }

    public Parameter Kernel => _kernel;

    public override Tensor forward(Tensor input)
    {
        using var z = nn.functional.conv2d(input, _kernel, _bias, _strides, _padding, _dilation);
        return ActivationFunctions.Apply(z, _activation);
    }
}

/// <summary>Max pooling with Keras defaults (strides default to the pool size, valid padding).</summary>
internal sealed class MaxPool2DModule : LayerModule
{
    private readonly long[] _pool;
    private readonly long[] _strides;

    public MaxPool2DModule(string name, (int H, int W) pool, (int H, int W) strides)
        : base(name)
    {
        _pool = [pool.H, pool.W];
        _strides = [strides.H, strides.W];
    }

    public override Tensor forward(Tensor input) => nn.functional.max_pool2d(input, _pool, _strides);
}

/// <summary>Flattens [N, C, H, W] to [N, C·H·W] (channels-first order).</summary>
internal sealed class FlattenModule : LayerModule
{
    public FlattenModule(string name)
        : base(name)
    {
    }

    public override Tensor forward(Tensor input) => input.flatten(1);
}

/// <summary>Dense with Keras' glorot-uniform kernel, zero bias and a fused activation. Parameters: <c>kernel</c> [out, in], <c>bias</c>.</summary>
[SuppressMessage("Reliability", "CA2213", Justification = "Registered parameters are disposed by Module.Dispose.")]
internal sealed class DenseModule : LayerModule
{
    private readonly Parameter _kernel;
    private readonly Parameter? _bias;
    private readonly Activation _activation;

    public DenseModule(string name, int inFeatures, int units, bool useBias, Activation activation)
        : base(name)
    {
        _kernel = new Parameter(empty(units, inFeatures));
        nn.init.xavier_uniform_(_kernel);
        register_parameter("kernel", _kernel);
        if (useBias)
        {
            _bias = new Parameter(zeros(units));
            register_parameter("bias", _bias);
        }

        _activation = activation;
    }

    public override Tensor forward(Tensor input)
    {
        using var z = nn.functional.linear(input, _kernel, _bias);
        return ActivationFunctions.Apply(z, _activation);
    }
}

/// <summary>Inverted dropout, active only in training mode.</summary>
internal sealed class DropoutModule : LayerModule
{
    private readonly double _rate;

    public DropoutModule(string name, double rate)
        : base(name)
    {
        _rate = rate;
    }

    public override Tensor forward(Tensor input) =>
        training && _rate > 0 ? nn.functional.dropout(input, _rate, training: true) : input.alias();
}
