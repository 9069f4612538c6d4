// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>Shared logic of callbacks that watch one logged quantity.</summary>
internal static class MonitoredValue
{
    /// <summary>Returns whether higher is better for <paramref name="monitor"/> under <paramref name="mode"/>.</summary>
    public static bool IsMax(string monitor, MonitorMode mode) => mode switch
    {
        MonitorMode.Max => true,
        MonitorMode.Min => false,
        _ => monitor.Contains("acc", StringComparison.Ordinal) || monitor.Contains("auc", StringComparison.Ordinal),
    };

    /// <summary>Reads the monitored value, logging a warning (as Keras does) when it is missing.</summary>
    public static bool TryGet(TrainingContext context, IReadOnlyDictionary<string, double> logs, string monitor, string callback, out double value)
    {
        if (logs.TryGetValue(monitor, out value))
        {
            return true;
        }

        TrainingLog.MonitorMissing(context.Logger, callback, monitor, string.Join(", ", logs.Keys));
        return false;
    }

    public static void ValidateName(string monitor, string parameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(monitor, parameterName);
    }
}
