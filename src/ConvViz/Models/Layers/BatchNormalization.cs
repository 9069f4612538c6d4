// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// A batch-normalization layer (Keras <c>layer_batch_normalization</c> / <c>BatchNormalization</c>). It normalizes the
/// channel axis of feature maps (Keras <c>axis = -1</c> in channels-last order) or the feature axis of flat inputs.
/// </summary>
/// <remarks>
/// Training mode normalizes with the batch mean and (biased) variance and updates the moving averages; the moving
/// variance receives the unbiased batch variance, as in PyTorch. Evaluation mode uses the moving averages. A frozen
/// layer (<c>LayerInfo.Trainable</c> false, after <c>Model.Freeze()</c>) runs in inference mode even during
/// <c>Fit</c>, as in Keras 2.1.3 and later: it normalizes with the moving averages and does not update them.
/// </remarks>
[LayerType("BatchNormalization", "batch_normalization")]
public sealed record BatchNormalizationOptions : LayerOptions
{
    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool HasFilters => false;

    /// <inheritdoc/>
    /// <value><see langword="false"/>.</value>
    public override bool IsTrainingOnly => false;

    /// <summary>
    /// Gets the momentum of the moving averages, Keras' definition:
    /// moving = momentum · moving + (1 − momentum) · batch. (PyTorch's momentum is 1 − this value.)
    /// </summary>
    /// <value>The default value is 0.99, as Keras.</value>
    public double Momentum { get; init { if (!(value >= 0 && value < 1)) { throw new ArgumentOutOfRangeException(nameof(Momentum), value, "The momentum must be in [0, 1)."); } field = value; } } = 0.99;

    /// <summary>Gets the small value added to the variance.</summary>
    /// <value>The default value is 1e-3, as Keras.</value>
    public double Epsilon { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(Epsilon)); field = value; } } = 1e-3;

    /// <summary>Gets a value indicating whether a learned offset (beta) is added.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Center { get; init; } = true;

    /// <summary>Gets a value indicating whether a learned scale (gamma) is applied.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Scale { get; init; } = true;

    internal static BatchNormalizationOptions Read(LayerReader r) =>
        new() { Momentum = r.Double("momentum"), Epsilon = r.Double("epsilon"), Center = r.Bool("center"), Scale = r.Bool("scale") };

    internal override void WriteFields(LayerWriter w)
    {
        w.Double("momentum", Momentum);
        w.Double("epsilon", Epsilon);
        w.Bool("center", Center);
        w.Bool("scale", Scale);
    }

    /// <inheritdoc/>
    internal override string ToOnnx(OnnxLayerWriter onnx, IReadOnlyList<string> inputs)
    {
        var channels = onnx.Layer.Input.Channels;
        var gamma = Scale ? onnx.Weight("gamma") : onnx.Floats("gamma", [.. Enumerable.Repeat(1f, channels)], channels);
        var beta = Center ? onnx.Weight("beta") : onnx.Floats("beta", new float[channels], channels);
        return onnx.Node("BatchNormalization", [inputs[0], gamma, beta, onnx.Weight("moving_mean"), onnx.Weight("moving_variance")], OnnxGraph.Float("epsilon", (float)Epsilon));
    }

    internal override LayerDefinition Define(LayerContext context)
    {
        var channels = context.Input.Channels;
        List<TensorSpec> tensors = [];
        if (Scale)
        {
            tensors.Add(new("gamma", [channels], true));
        }

        if (Center)
        {
            tensors.Add(new("beta", [channels], true));
        }

        tensors.Add(new("moving_mean", [channels], false));
        tensors.Add(new("moving_variance", [channels], false));
        return new LayerDefinition(context.Input, tensors, _ => new BatchNormModule(context.Name, channels, this));
    }
}

/// <summary>
/// Batch normalization over the channel (or feature) axis. Parameters: <c>gamma</c>, <c>beta</c>; buffers (not
/// trainable): <c>moving_mean</c>, <c>moving_variance</c>. Training mode normalizes with the batch statistics and
/// updates the moving averages with Keras' momentum (PyTorch momentum = 1 − Keras momentum); evaluation mode, and
/// training mode while the layer is frozen, use the moving averages.
/// </summary>
internal sealed class BatchNormModule : LayerModule
{
    private readonly BatchNormalizationOptions _options;

    public BatchNormModule(string name, int channels, BatchNormalizationOptions options)
        : base(name)
    {
        _options = options;
        if (options.Scale)
        {
            AddParameter("gamma", [channels], Initializer.Ones, channels, channels, null);
        }

        if (options.Center)
        {
            AddParameter("beta", [channels], Initializer.Zeros, channels, channels, null);
        }

        register_buffer("moving_mean", zeros(channels));
        register_buffer("moving_variance", ones(channels));
    }

    /// <summary>
    /// Gets how many forward passes updated the moving averages. libtorch's CPU kernel writes them without incrementing
    /// their version counters, so folded copies of them (<see cref="Conv2DModule.ForwardFoldingBatchNorm"/>) also check this.
    /// </summary>
    internal long StatisticsUpdates { get; private set; }

    /// <summary>Gets a value indicating whether the layer currently normalizes with its moving averages (evaluation mode, or frozen).</summary>
    internal bool UsesMovingAverages => !(training && Trainable);

    /// <summary>Gets the tensors that <see cref="ScaleAndShift"/> reads: gamma and beta when present, the moving mean and variance.</summary>
    internal Tensor[] FoldSources()
    {
        List<Tensor> sources = [];
        if (_options.Scale)
        {
            sources.Add(Param("gamma"));
        }

        if (_options.Center)
        {
            sources.Add(Param("beta"));
        }

        sources.Add(Buffer("moving_mean"));
        sources.Add(Buffer("moving_variance"));
        return [.. sources];
    }

    /// <summary>
    /// The inference-mode normalization as one affine map per channel, in float64: y = scale · x + shift with
    /// scale = gamma / √(moving variance + ε) and shift = beta − moving mean · scale.
    /// </summary>
    /// <returns>Scale and shift, [channels] each; the caller owns both.</returns>
    internal (Tensor Scale, Tensor Shift) ScaleAndShift()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var epsilon = Scalars.Create(_options.Epsilon);
        var variance = Buffer("moving_variance").to_type(ScalarType.Float64);
        var scale = variance.add(epsilon, Scalars.One).rsqrt();
        if (_options.Scale)
        {
            scale = scale.mul(Param("gamma").to_type(ScalarType.Float64));
        }

        var shift = Buffer("moving_mean").to_type(ScalarType.Float64).mul(scale).neg();
        if (_options.Center)
        {
            shift = shift.add(Param("beta").to_type(ScalarType.Float64), Scalars.One);
        }

        return (scale.MoveToOuterDisposeScope(), shift.MoveToOuterDisposeScope());
    }

    /// <summary>Normalizes in float32 (as PyTorch's autocast does), whatever the compute type.</summary>
    public override Tensor forward(Tensor input)
    {
        if (!UsesMovingAverages)
        {
            StatisticsUpdates++;
        }

        using var wide = input.dtype == ScalarType.Float32 ? null : input.to_type(ScalarType.Float32);
        return nn.functional.batch_norm(
            wide ?? input,
            Buffer("moving_mean"),
            Buffer("moving_variance"),
            _options.Scale ? Param("gamma") : null,
            _options.Center ? Param("beta") : null,
            training && Trainable,
            1 - _options.Momentum,
            _options.Epsilon);
    }
}
