// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Inspection;

/// <summary>Settings of <see cref="Saliency"/>: the shared <see cref="AttributionOptions"/> (target and normalisation).</summary>
public sealed record SaliencyOptions : AttributionOptions;
