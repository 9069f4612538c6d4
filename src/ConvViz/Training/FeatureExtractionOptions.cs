// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>Settings of <see cref="FeatureExtraction.ExtractFeatures"/>: how the resulting <see cref="FeatureDataset"/> batches its samples.</summary>
public sealed record FeatureExtractionOptions
{
    /// <summary>Gets the batch size of the resulting dataset; <see langword="null"/> keeps the source's.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    public int? BatchSize { get; init { if (value is { } v) { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v, nameof(BatchSize)); } field = value; } }

    /// <summary>Gets a value indicating whether each epoch of the resulting dataset visits the samples in a new, seeded order (as Keras' <c>fit</c> shuffles arrays).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Shuffle { get; init; } = true;

    /// <summary>Gets the seed of the shuffle order, or <see langword="null"/> for the next seed drawn from the global seed (0 when none is set).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? Seed { get; init; }

    /// <summary>Gets the receiver of one <see cref="TrainingPhase.FeatureExtractionBatch"/> report per source batch, or <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IProgress<TrainingProgress>? Progress { get; init; }
}
