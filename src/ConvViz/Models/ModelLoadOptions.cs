// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Limits applied by <see cref="Model.Load(string, ModelLoadOptions)"/> before anything is allocated.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Gets the largest file accepted, in bytes; larger files are rejected before they are read.</summary>
    /// <value>The default value is 1 GiB.</value>
    public long MaxFileSizeBytes { get; init { ArgumentOutOfRangeException.ThrowIfLessThan(value, 8L, nameof(MaxFileSizeBytes)); field = value; } } = 1L << 30;

    /// <summary>Gets the largest JSON header accepted, in bytes.</summary>
    /// <value>The default value is 16 MiB (ConvViz headers take a few kilobytes).</value>
    public int MaxHeaderBytes { get; init { ArgumentOutOfRangeException.ThrowIfLessThan(value, 2, nameof(MaxHeaderBytes)); field = value; } } = 16 << 20;
}
