// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConvViz.Models.Layers;

/// <summary>
/// Base of the TorchSharp modules that implement ConvViz layers (one module per Keras layer). Parameters and buffers
/// are looked up by name at each call, so they stay valid after the module moves to another device.
/// </summary>
internal abstract class LayerModule : nn.Module<Tensor, Tensor>
{
    protected LayerModule(string name)
        : base(name)
    {
    }

    /// <summary>
    /// Gets or sets the type that convolutions and dense layers compute in (the model sets it from its precision).
    /// Parameters always stay float32: with bfloat16 they are cast inside <c>forward</c>, so autograd carries the
    /// gradients back to the float32 master weights.
    /// </summary>
    internal ScalarType ComputeType { get; set; } = ScalarType.Float32;

    /// <summary>
    /// Gets or sets a value indicating whether the layer is trainable (the model sets it when layers are frozen or
    /// unfrozen, with the parameters' <c>requires_grad</c>). Layers whose training mode differs from inference
    /// (BatchNormalization) run as in inference while frozen.
    /// </summary>
    internal bool Trainable { get; set; } = true;

    /// <summary>
    /// Lays out this layer's parameters in place (the model's memory layout): channels-last strides when
    /// <paramref name="channelsLast"/>, otherwise contiguous; layers without kernels do nothing.
    /// </summary>
    internal virtual void ApplyLayout(bool channelsLast)
    {
    }

    /// <summary>
    /// Runs the layer on its inputs (one for every layer but the merges, which override this). The graph executor calls
    /// this, never <c>forward</c> directly.
    /// </summary>
    /// <param name="inputs">The inputs, in the layer's order; not disposed.</param>
    /// <returns>A tensor the caller owns.</returns>
    internal virtual Tensor Invoke(IReadOnlyList<Tensor> inputs) => call(inputs[0]);

    /// <summary>
    /// Runs the layer without its final activation (the score before softmax or sigmoid), for attribution methods that
    /// differentiate the class score rather than the saturating probability. Layers without an activation run as usual;
    /// a standalone activation layer returns its input.
    /// </summary>
    /// <param name="input">The input; not disposed.</param>
    /// <returns>A tensor the caller owns.</returns>
    internal virtual Tensor ForwardBeforeActivation(Tensor input) => forward(input);

    /// <summary>Returns <paramref name="x"/> in <see cref="ComputeType"/>: a cast copy, or an alias when it already is; the caller owns it.</summary>
    protected Tensor CastForCompute(Tensor x) => x.dtype == ComputeType ? x.alias() : x.to_type(ComputeType);

    /// <summary>Applies a fused activation; sigmoid and softmax run in float32 (probabilities feed the loss), the others in the compute type.</summary>
    protected static Tensor Activate(Tensor z, Activation activation)
    {
        if (z.dtype != ScalarType.Float32 && activation is Activation.Softmax or Activation.Sigmoid)
        {
            using var wide = z.to_type(ScalarType.Float32);
            return ActivationFunctions.Apply(wide, activation);
        }

        return ActivationFunctions.Apply(z, activation);
    }

    /// <summary>Creates, initializes and registers a trainable parameter.</summary>
    protected void AddParameter(string name, long[] shape, Initializer initializer, long fanIn, long fanOut, Generator? generator)
    {
        var parameter = new Parameter(empty(shape));
        Initializers.Fill(parameter, initializer, fanIn, fanOut, generator);
        register_parameter(name, parameter);
    }

    /// <summary>Gets a registered parameter.</summary>
    protected Parameter Param(string name) => get_parameter(name) ?? throw new InvalidOperationException($"Layer '{GetName()}' has no parameter '{name}'.");

    /// <summary>Gets a registered buffer.</summary>
    protected Tensor Buffer(string name) => get_buffer(name) ?? throw new InvalidOperationException($"Layer '{GetName()}' has no buffer '{name}'.");
}
