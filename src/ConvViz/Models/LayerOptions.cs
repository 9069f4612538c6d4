// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Options of a layer that has nothing to configure but its name (Flatten, global pooling).</summary>
public sealed class LayerOptions
{
    /// <summary>Gets the layer name; <see langword="null"/> for the next automatic name (<c>flatten</c>, <c>flatten_1</c>, …).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Name { get; init => field = LayerNames.Validate(value, nameof(Name)); }
}
