// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// A validated layer of a builder or model: its options (with the resolved name; what Save writes), its input shape
/// and what the options define for it. The module is created at Build.
/// </summary>
/// <param name="Options">The options, with <see cref="LayerOptions.Name"/> resolved.</param>
/// <param name="InputShape">The input shape.</param>
/// <param name="Definition">The output shape, tensors and module factory.</param>
internal sealed record LayerSpec(LayerOptions Options, LayerShape InputShape, LayerDefinition Definition)
{
    public string Name => Options.Name!;

    public LayerShape OutputShape => Definition.Output;

    public IReadOnlyList<TensorSpec> Tensors => Definition.Tensors;

    public LayerModule CreateModule(Generator? generator) => Definition.CreateModule(generator);

    public long ParameterCount => Tensors.Sum(t => t.ElementCount);

    public long TrainableParameterCount => Tensors.Where(t => t.Trainable).Sum(t => t.ElementCount);
}
