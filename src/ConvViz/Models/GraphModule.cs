// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// The TorchSharp module of a <see cref="Model"/> (<see cref="Model.Module"/>): it registers each layer's module under
/// the layer's name, in layer order, so that parameters, buffers, <c>state_dict</c>, <c>to</c>, <c>train</c> and
/// <c>eval</c> cover the whole model with the names a <c>Sequential</c> would give (<c>conv2d.kernel</c>, …). Its
/// <c>forward</c> is the model's graph executor.
/// </summary>
internal sealed class GraphModule : nn.Module<Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> _forward;

    public GraphModule(IReadOnlyList<LayerModule> layers, Func<Tensor, Tensor> forward)
        : base("model")
    {
        _forward = forward;
        foreach (var layer in layers)
        {
            register_module(layer.GetName(), layer);
        }
    }

    /// <summary>Runs the model (see <see cref="Model.Forward"/>); the caller owns the result.</summary>
    public override Tensor forward(Tensor input) => _forward(input);
}
