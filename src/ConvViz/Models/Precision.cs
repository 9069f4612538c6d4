// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>The number format the layers compute in (see <see cref="Model.Precision"/> and <see cref="CompileOptions.Precision"/>).</summary>
public enum Precision
{
    /// <summary>32-bit floats everywhere (the default): results match Keras to float tolerance.</summary>
    Float32 = 0,

    /// <summary>
    /// bfloat16 mixed precision: convolutions and dense layers compute in bfloat16, while the parameters (the master
    /// weights), the optimizer state, the loss, the metrics, batch normalization and the final sigmoid or softmax stay
    /// float32, and every tensor ConvViz returns is float32. About twice as fast for training on CPUs with bfloat16
    /// units (AVX512_BF16 or AMX on x86, BF16 on Arm) and on CUDA; elsewhere ConvViz refuses it
    /// (see <see cref="ConvVizRuntime.IsBFloat16Supported"/>) because it would run slower than float32.
    /// </summary>
    BFloat16,
}
