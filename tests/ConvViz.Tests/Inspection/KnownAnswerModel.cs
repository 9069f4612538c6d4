// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

/// <summary>
/// A 16×16 grey-scale model whose answer is known: one 3×3 conv filter that averages its window minus 0.5 (so it fires
/// only on a bright patch), ReLU, Flatten, and a linear Dense whose class 1 sums every activation and class 0 subtracts it.
/// </summary>
internal static class KnownAnswerModel
{
    public const int Size = 16;

    /// <summary>The centre of the bright 3×3 patch (upper right: an asymmetric position).</summary>
    public const int PatchRow = 3;

    public const int PatchColumn = 11;

    /// <summary>The weight of the averaging 3×3 filter, 1/9 (a float, as the float32 kernel holds it).</summary>
    private static readonly Scalar s_oneNinth = Scalars.Permanent(1f / 9);

    /// <summary>The float −1: the dense weights of class 0 and the sigmoid unit's bias.</summary>
    private static readonly Scalar s_minusOne = Scalars.Permanent(-1f);

    /// <summary>The float 1: the dense weights of class 1 and of the sigmoid unit.</summary>
    private static readonly Scalar s_plusOne = Scalars.Permanent(1f);

    public static Model Create()
    {
        var model = new SequentialBuilder(Size, Size, 1)
            .AddConv2D(1, 3, Activation.ReLU)
            .AddFlatten()
            .AddDense(2)
            .Build();
        using var noGrad = no_grad();
        var conv = model.LayerModules[0].named_parameters().ToDictionary(p => p.name, p => p.parameter);
        conv["kernel"].copy_(full(1, 1, 3, 3, s_oneNinth));
        conv["bias"].copy_(tensor(new[] { -0.5f }));
        var dense = model.LayerModules[2].named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var features = 14 * 14;
        using var weights = cat([full(1, features, s_minusOne), full(1, features, s_plusOne)], 0);
        dense["kernel"].copy_(weights);
        dense["bias"].zero_();
        return model;
    }

    /// <summary>
    /// The same bright-patch detector with one sigmoid output unit whose logit is the sum of the activations minus 1,
    /// so class 1 (the unit) is the patch and class 0 (the negated logit) is its absence.
    /// </summary>
    public static Model CreateBinary()
    {
        var model = new SequentialBuilder(Size, Size, 1)
            .AddConv2D(1, 3, Activation.ReLU)
            .AddFlatten()
            .AddDense(1, Activation.Sigmoid)
            .Build();
        using var noGrad = no_grad();
        var conv = model.LayerModules[0].named_parameters().ToDictionary(p => p.name, p => p.parameter);
        conv["kernel"].copy_(full(1, 1, 3, 3, s_oneNinth));
        conv["bias"].copy_(tensor(new[] { -0.5f }));
        var dense = model.LayerModules[2].named_parameters().ToDictionary(p => p.name, p => p.parameter);
        dense["kernel"].fill_(s_plusOne);
        dense["bias"].fill_(s_minusOne);
        return model;
    }

    /// <summary>The sum of the detector's activations on <see cref="CreateInput"/>: 0.5 at the patch centre and 6/9 − 0.5 at its four edge neighbours.</summary>
    public const double ActivationSum = 0.5 + (4 * ((6.0 / 9) - 0.5));

    /// <summary>A black image [1, 1, 16, 16] with a white 3×3 patch centred at (<see cref="PatchRow"/>, <see cref="PatchColumn"/>).</summary>
    public static Tensor CreateInput()
    {
        var x = zeros(1, 1, Size, Size);
        x[.., .., (PatchRow - 1)..(PatchRow + 2), (PatchColumn - 1)..(PatchColumn + 2)] = 1f;
        return x;
    }

    public static (int Row, int Column) ArgMax(Tensor map)
    {
        var width = map.shape[^1];
        var index = map.flatten().argmax().item<long>();
        return ((int)(index / width), (int)(index % width));
    }
}
