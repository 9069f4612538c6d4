// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using Microsoft.Extensions.Logging;

namespace ConvViz.Training;

/// <summary>Log messages of the training loop (event ids 500–599).</summary>
internal static partial class TrainingLog
{
    private static readonly EventId EpochEndEvent = new(500, "EpochEnd");

    /// <summary>
    /// Logs one structured record per epoch: the properties <c>Epoch</c>, <c>Epochs</c>, <c>Seconds</c> and one per
    /// logged value under its Keras key (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, …), as doubles.
    /// </summary>
    public static void EpochEnd(ILogger logger, int epoch, int epochs, TimeSpan elapsed, IReadOnlyDictionary<string, double> logs)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.Log(LogLevel.Information, EpochEndEvent, new EpochRecord(epoch, epochs, elapsed.TotalSeconds, logs), null, static (r, _) => r.ToString());
        }
    }

    [LoggerMessage(EventId = 507, Level = LogLevel.Warning, Message = "{What} differs between the model and the training data ({Difference}); the model keeps its own, as FitOptions.MetadataMismatch is Warn")]
    public static partial void MetadataMismatch(ILogger logger, string what, string difference);

    [LoggerMessage(EventId = 509, Level = LogLevel.Warning, Message = "Fit resumes at epoch {Epoch} of a run loaded from a model file, but Compile was called after Load and discarded its {Optimizer} state ({Iterations} steps): the optimizer starts afresh. To continue exactly, do not compile the loaded model again")]
    public static partial void LoadedStateDiscarded(ILogger logger, int epoch, OptimizerKind optimizer, long iterations);

    [LoggerMessage(EventId = 508, Level = LogLevel.Information, Message = "The model had no {What}; Fit set it from the training data: {Value}")]
    public static partial void MetadataAdopted(ILogger logger, string what, string value);

    /// <summary>The state of the per-epoch record: its properties, and the Keras-like line it formats to.</summary>
    private sealed class EpochRecord : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _properties;
        private readonly string _text;

        public EpochRecord(int epoch, int epochs, double seconds, IReadOnlyDictionary<string, double> logs)
        {
            var values = string.Concat(logs.Select(kv => FormattableString.Invariant($" - {kv.Key}: {kv.Value:0.0000}")));
            _text = FormattableString.Invariant($"Epoch {epoch}/{epochs} - {seconds:0.0}s{values}");
            _properties =
            [
                new("Epoch", epoch),
                new("Epochs", epochs),
                new("Seconds", seconds),
                .. logs.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)),
                new("{OriginalFormat}", "Epoch {Epoch}/{Epochs} - {Seconds}s" + string.Concat(logs.Keys.Select(k => $" - {k}: {{{k}}}"))),
            ];
        }

        public int Count => _properties.Length;

        public KeyValuePair<string, object?> this[int index] => _properties[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_properties).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => _text;
    }

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
