// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Microsoft.Extensions.Logging;

namespace ConvViz.Training;

/// <summary>Log messages of the training loop (event ids 500–599).</summary>
internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Epoch {Epoch}/{Epochs} - {Seconds:0.0}s - {Metrics}")]
    public static partial void EpochEnd(ILogger logger, int epoch, int epochs, double seconds, string metrics);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Epoch {Epoch}, batch {Batch}: invalid loss {Loss}; the batch's update was skipped")]
    public static partial void NonFiniteLoss(ILogger logger, int epoch, int batch, double loss);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Epoch {Epoch}: early stopping (best {Monitor} = {Best} at epoch {BestEpoch})")]
    public static partial void EarlyStopped(ILogger logger, int epoch, string monitor, double best, int bestEpoch);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "{Callback} monitors '{Monitor}', which is not available; available: {Available}")]
    public static partial void MonitorMissing(ILogger logger, string callback, string monitor, string available);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Epoch {Epoch}: ReduceLROnPlateau reducing learning rate to {LearningRate}")]
    public static partial void LearningRateReduced(ILogger logger, int epoch, double learningRate);

    [LoggerMessage(EventId = 505, Level = LogLevel.Information, Message = "Epoch {Epoch}: saved the model to {Path}")]
    public static partial void CheckpointSaved(ILogger logger, int epoch, string path);

    [LoggerMessage(EventId = 506, Level = LogLevel.Information, Message = "Training stopped at epoch {Epoch}, batch {Batch}: {Reason}")]
    public static partial void Stopped(ILogger logger, int epoch, int batch, string reason);
}
