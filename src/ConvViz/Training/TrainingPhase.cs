// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>What a <see cref="TrainingProgress"/> report describes.</summary>
public enum TrainingPhase
{
    /// <summary>A training batch has finished.</summary>
    TrainingBatch,

    /// <summary>A validation (or evaluation) batch has finished.</summary>
    ValidationBatch,

    /// <summary>An epoch, including its validation, has finished.</summary>
    EpochEnd,

    /// <summary>A batch of <see cref="FeatureExtraction.ExtractFeatures"/> has run through the model.</summary>
    FeatureExtractionBatch,
}
