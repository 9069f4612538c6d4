// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Data;

/// <summary>Which part of a folder a dataset reads when a validation split is set (Keras <c>subset</c>).</summary>
public enum DatasetSubset
{
    /// <summary>Every image (no split).</summary>
    All,

    /// <summary>The training part: all but the first ⌊split · n⌋ files of each class.</summary>
    Training,

    /// <summary>The validation part: the first ⌊split · n⌋ files of each class, in sorted order (Keras' rule).</summary>
    Validation,
}
