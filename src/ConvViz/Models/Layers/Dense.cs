// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>A fully connected layer (Keras <c>layer_dense</c> / <c>Dense</c>) with its arguments.</summary>
[LayerType("Dense", "dense")]
public sealed record DenseOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>Gets the number of outputs; at least 1.</summary>
    /// <value>There is no default; the value is required.</value>
    public required int Units { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Units)); field = value; } }

    /// <summary>Gets the activation applied to the output.</summary>
    /// <value>The default value is <see cref="Activation.Linear"/>, as Keras.</value>
    public Activation Activation { get; init { ThrowIfUndefined(value, nameof(Activation)); field = value; } } = Activation.Linear;

    /// <summary>Gets a value indicating whether the layer adds a bias.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseBias { get; init; } = true;

    /// <summary>Gets the kernel initializer.</summary>
    /// <value>The default value is <see cref="Initializer.GlorotUniform"/>, as Keras.</value>
    public Initializer KernelInitializer { get; init { ThrowIfUndefined(value, nameof(KernelInitializer)); field = value; } } = Initializer.GlorotUniform;

    /// <summary>Gets the bias initializer.</summary>
    /// <value>The default value is <see cref="Initializer.Zeros"/>, as Keras.</value>
    public Initializer BiasInitializer { get; init { ThrowIfUndefined(value, nameof(BiasInitializer)); field = value; } } = Initializer.Zeros;

    internal static DenseOptions Read(LayerReader r) => new()
    {
        Units = r.Int("units"),
        Activation = r.Enum<Activation>("activation"),
        UseBias = r.Bool("use_bias"),
        KernelInitializer = r.Enum<Initializer>("kernel_initializer"),
        BiasInitializer = r.Enum<Initializer>("bias_initializer"),
    };

    internal override void WriteFields(LayerWriter w)
    {
        w.Int("units", Units);
        w.Enum("activation", Activation);
        w.Bool("use_bias", UseBias);
        w.Enum("kernel_initializer", KernelInitializer);
        w.Enum("bias_initializer", BiasInitializer);
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs) =>
        onnx.Activate(
            onnx.Node("Gemm", UseBias ? [inputs[0], onnx.Weight("kernel"), onnx.Weight("bias")] : [inputs[0], onnx.Weight("kernel")], OnnxGraph.Int("transB", 1)),
            Activation);

    internal override LayerDefinition Define(LayerContext context)
    {
        if (context.Input.IsSpatial)
        {
            throw context.ShapeError(
                $"Dense needs a flat input (None, features) and would produce (None, {Units}); add AddFlatten() or a global pooling layer before it");
        }

        var inFeatures = context.Input.Channels;
        List<TensorSpec> tensors = [new("kernel", [Units, inFeatures], true)];
        if (UseBias)
        {
            tensors.Add(new("bias", [Units], true));
        }

        return new LayerDefinition(new LayerShape(Units), tensors, g => new DenseModule(context.Name, inFeatures, this, g));
    }
}

/// <summary>Dense with Keras' initializers and a fused activation. Parameters: <c>kernel</c> [out, in], <c>bias</c> [out].</summary>
internal sealed class DenseModule : LayerModule
{
    private readonly bool _useBias;
    private readonly Activation _activation;

    public DenseModule(string name, int inFeatures, DenseOptions options, Generator? generator)
        : base(name)
    {
        AddParameter("kernel", [options.Units, inFeatures], options.KernelInitializer, inFeatures, options.Units, generator);
        _useBias = options.UseBias;
        if (_useBias)
        {
            AddParameter("bias", [options.Units], options.BiasInitializer, options.Units, options.Units, generator);
        }

        _activation = options.Activation;
    }

    public override Tensor forward(Tensor input)
    {
        using var z = ForwardBeforeActivation(input);
        return Activate(z, _activation);
    }

    internal override Tensor ForwardBeforeActivation(Tensor input)
    {
        using var x = CastForCompute(input);
        using var kernel = CastForCompute(Param("kernel"));
        using var bias = _useBias ? CastForCompute(Param("bias")) : null;
        return nn.functional.linear(x, kernel, bias);
    }
}
