// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>When a feature-map grid (<see cref="FeatureMapGrid"/>) draws the colour bar, the strip of its colormap from low (left) to high (right) under the tiles.</summary>
public enum ColorBarMode
{
    /// <summary>
    /// Only when the tiles share one scale (<see cref="FeatureMapNormalization.PerLayer"/> or
    /// <see cref="FeatureMapNormalization.Percentile"/>), so that one bar with two values reads every tile.
    /// </summary>
    WhenShared = 0,

    /// <summary>
    /// Always, also under <see cref="FeatureMapNormalization.PerMap"/>, where every tile has its own range: the ends are
    /// then labelled "tile min" and "tile max" instead of values.
    /// </summary>
    Always,

    /// <summary>Never.</summary>
    Never,
}
