// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>Comparisons shared by the inference folding and fusion tests.</summary>
internal static class FoldingAssertions
{
    /// <summary>Whether two tensors have the same shape and the same bits.</summary>
    public static bool BitIdentical(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>The largest absolute difference of two tensors of one shape.</summary>
    public static double MaxDifference(Tensor a, Tensor b) => a.sub(b).abs().max().item<float>();

    /// <summary>The same model's prediction with folding (and so fusion) switched off: every layer by itself.</summary>
    /// <returns>The prediction; the caller (or its dispose scope) owns it.</returns>
    public static Tensor Unfolded(Model model, Tensor images)
    {
        model.FoldsBatchNorm = false;
        try
        {
            return model.Predict(images);
        }
        finally
        {
            model.FoldsBatchNorm = true;
        }
    }
}
