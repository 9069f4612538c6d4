// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>How feature-map values are mapped to colours.</summary>
public enum FeatureMapNormalization
{
    /// <summary>Each map is stretched from its own minimum to its own maximum (keract, <c>make_grid(scale_each)</c>); tiles are not comparable.</summary>
    PerMap = 0,

    /// <summary>One scale for all drawn maps, from the layer's minimum to its maximum, so tiles are comparable.</summary>
    PerLayer,

    /// <summary>One scale for all drawn maps between two percentiles of the layer's values (for example 1–99 %), clipping outliers.</summary>
    Percentile,
}
