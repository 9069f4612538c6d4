// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// A validated layer of a builder or model: its options (with the resolved name; what Save writes), its inputs (the
/// indices of the earlier layers it takes, <see cref="LayerGraphBuilder.ModelInput"/> for the image), their shapes, and
/// what the options define for them. The module is created at Build.
/// </summary>
/// <param name="Options">The options, with <see cref="LayerOptions.Name"/> resolved.</param>
/// <param name="Inputs">The indices of the layers whose outputs the layer takes, in order; each is smaller than the layer's own.</param>
/// <param name="InputShapes">The shapes of those inputs.</param>
/// <param name="Definition">The output shape, tensors and module factory.</param>
internal sealed record LayerSpec(LayerOptions Options, IReadOnlyList<int> Inputs, IReadOnlyList<LayerShape> InputShapes, LayerDefinition Definition)
{
    public string Name => Options.Name!;

    /// <summary>Gets the first (for every layer but the merges, the only) input shape.</summary>
    public LayerShape InputShape => InputShapes[0];

    public LayerShape OutputShape => Definition.Output;

    public IReadOnlyList<TensorSpec> Tensors => Definition.Tensors;

    public LayerModule CreateModule(Generator? generator) => Definition.CreateModule(generator);

    public long ParameterCount => Tensors.Sum(t => t.ElementCount);

    public long TrainableParameterCount => Tensors.Where(t => t.Trainable).Sum(t => t.ElementCount);
}
