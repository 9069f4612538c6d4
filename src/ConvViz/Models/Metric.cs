// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Training metrics. History keys follow Keras: <c>accuracy</c>, <c>val_accuracy</c>, …</summary>
public enum Metric
{
    /// <summary>Keras' <c>"accuracy"</c>, resolved from the output shape as tf.keras does: binary for 1 unit, categorical otherwise (sparse for integer targets).</summary>
    Accuracy,

    /// <summary>Element-wise threshold at 0.5, averaged.</summary>
    BinaryAccuracy,

    /// <summary>Argmax of prediction equals argmax of a one-hot target.</summary>
    CategoricalAccuracy,

    /// <summary>Argmax of prediction equals an integer target.</summary>
    SparseCategoricalAccuracy,
}
