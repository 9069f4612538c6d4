// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Loss functions with Keras semantics (probabilities clipped to [1e-7, 1 − 1e-7]; mean over the last axis, then the batch).</summary>
public enum Loss
{
    /// <summary>Keras <c>binary_crossentropy</c>: element-wise, for sigmoid outputs or one-hot targets.</summary>
    BinaryCrossentropy,

    /// <summary>Keras <c>categorical_crossentropy</c>: one-hot targets, probability outputs.</summary>
    CategoricalCrossentropy,

    /// <summary>Keras <c>sparse_categorical_crossentropy</c>: integer targets, probability outputs.</summary>
    SparseCategoricalCrossentropy,

    /// <summary>Keras <c>mean_squared_error</c>.</summary>
    MeanSquaredError,

    /// <summary>Keras <c>mean_absolute_error</c>.</summary>
    MeanAbsoluteError,
}
