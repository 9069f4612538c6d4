// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>Whether a monitored quantity should go down or up (Keras' <c>mode</c>).</summary>
public enum MonitorMode
{
    /// <summary>Inferred from the name as Keras does: up for names containing <c>acc</c> or <c>auc</c>, down otherwise.</summary>
    Auto,

    /// <summary>Lower is better (losses).</summary>
    Min,

    /// <summary>Higher is better (accuracies).</summary>
    Max,
}
