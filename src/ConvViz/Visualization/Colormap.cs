// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>A colour scale mapping normalised values in [0, 1] to colours (256-entry lookup tables).</summary>
public enum Colormap
{
    /// <summary>Perceptually uniform dark blue → green → yellow (matplotlib's default).</summary>
    Viridis = 0,

    /// <summary>Perceptually uniform black → purple → orange → pale yellow.</summary>
    Magma,

    /// <summary>Perceptually uniform black → purple → orange → bright yellow.</summary>
    Inferno,

    /// <summary>The classic blue → cyan → yellow → red rainbow used for Grad-CAM overlays.</summary>
    Jet,

    /// <summary>Black → white.</summary>
    Gray,
}
