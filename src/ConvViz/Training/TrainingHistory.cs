// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ConvViz.Training;

/// <summary>
/// What <c>Fit</c> returns: Keras' <c>History</c>. One entry per epoch that ran, with the epoch's <c>loss</c>, each
/// metric, their <c>val_*</c> counterparts, the learning rate and the wall time.
/// </summary>
/// <remarks>Series keys follow Keras: <c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, <c>val_accuracy</c>, … A value missing in an epoch is NaN.</remarks>
public sealed class TrainingHistory
{
    /// <summary>The key of the learning-rate column in exports and epoch logs.</summary>
    public const string LearningRateKey = "learning_rate";

    /// <summary>The key of the wall-time column (seconds) in exports.</summary>
    public const string TimeKey = "time";

    private readonly List<int> _epochs = [];
    private readonly List<string> _keys = [];
    private readonly Dictionary<string, List<double>> _series = new(StringComparer.Ordinal);
    private readonly List<double> _learningRates = [];
    private readonly List<TimeSpan> _durations = [];

    /// <summary>Creates an empty history.</summary>
    /// <param name="initialEpoch">Keras' <c>initial_epoch</c>.</param>
    /// <param name="epochs">Keras' <c>epochs</c> (the final epoch number).</param>
    /// <param name="stepsPerEpoch">Training batches per epoch.</param>
    public TrainingHistory(int initialEpoch, int epochs, int stepsPerEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialEpoch);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, initialEpoch);
        ArgumentOutOfRangeException.ThrowIfNegative(stepsPerEpoch);
        InitialEpoch = initialEpoch;
        FinalEpoch = epochs;
        StepsPerEpoch = stepsPerEpoch;
    }

    /// <summary>Gets Keras' <c>initial_epoch</c> of the run.</summary>
    public int InitialEpoch { get; }

    /// <summary>Gets Keras' <c>epochs</c> of the run: the epoch number the run would have ended at.</summary>
    public int FinalEpoch { get; }

    /// <summary>Gets the number of training batches per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Gets the 0-based indices of the epochs that ran (Keras' <c>history.epoch</c>); display numbers are these + 1.</summary>
    public IReadOnlyList<int> Epochs => _epochs;

    /// <summary>Gets the number of epochs recorded.</summary>
    public int Count => _epochs.Count;

    /// <summary>Gets the series keys in Keras' order: <c>loss</c>, the metrics, then <c>val_loss</c> and the validation metrics.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>Gets the learning rate in effect at the end of each epoch.</summary>
    public IReadOnlyList<double> LearningRates => _learningRates;

    /// <summary>Gets the wall time of each epoch (training and validation).</summary>
    public IReadOnlyList<TimeSpan> Durations => _durations;

    /// <summary>Gets the per-epoch values of a series.</summary>
    /// <param name="key">A key such as <c>loss</c> or <c>val_accuracy</c>.</param>
    /// <returns>One value per epoch.</returns>
    /// <exception cref="KeyNotFoundException">The history has no such series; the message lists the keys it has.</exception>
    public IReadOnlyList<double> this[string key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            return _series.TryGetValue(key, out var values)
                ? values
                : throw new KeyNotFoundException($"The history has no series '{key}'. It has: {string.Join(", ", _keys)}.");
        }
    }

    /// <summary>Returns whether the history has a series.</summary>
    /// <param name="key">A key such as <c>val_loss</c>.</param>
    /// <returns><see langword="true"/> if the series exists.</returns>
    public bool Contains(string key) => _series.ContainsKey(key);

    /// <summary>Appends one epoch.</summary>
    /// <param name="epoch">The 0-based epoch index.</param>
    /// <param name="values">The epoch's values by key (<c>learning_rate</c>, if present, is ignored in favour of <paramref name="learningRate"/>).</param>
    /// <param name="learningRate">The learning rate at the end of the epoch.</param>
    /// <param name="duration">The epoch's wall time.</param>
    public void Add(int epoch, IReadOnlyDictionary<string, double> values, double learningRate, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        foreach (var key in values.Keys)
        {
            if (key != LearningRateKey && !_series.ContainsKey(key))
            {
                var padded = new List<double>(Enumerable.Repeat(double.NaN, _epochs.Count));
                _series.Add(key, padded);
                _keys.Add(key);
            }
        }

        var ordered = _keys.OrderBy(KeyRank).ToArray();
        _keys.Clear();
        _keys.AddRange(ordered);
        foreach (var (key, series) in _series)
        {
            series.Add(values.TryGetValue(key, out var v) ? v : double.NaN);
        }

        _epochs.Add(epoch);
        _learningRates.Add(learningRate);
        _durations.Add(duration);
    }

    /// <summary>
    /// Formats the history as CSV: a header <c>epoch,loss,…,learning_rate,time</c>, then one row per epoch with the
    /// 0-based epoch index (as Keras' CSVLogger), invariant-culture numbers and empty cells for missing values.
    /// </summary>
    /// <returns>The CSV text, lines ending in <c>\n</c>.</returns>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.Append("epoch");
        foreach (var key in _keys)
        {
            sb.Append(',').Append(key);
        }

        sb.Append(',').Append(LearningRateKey).Append(',').Append(TimeKey).Append('\n');
        for (var i = 0; i < _epochs.Count; i++)
        {
            sb.Append(_epochs[i].ToString(CultureInfo.InvariantCulture));
            foreach (var key in _keys)
            {
                sb.Append(',').Append(FormatNumber(_series[key][i]));
            }

            sb.Append(',').Append(FormatNumber(_learningRates[i])).Append(',').Append(FormatNumber(_durations[i].TotalSeconds)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> to a file (UTF-8, no BOM), replacing it.</summary>
    /// <param name="path">The file path.</param>
    public void SaveCsv(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteText(path, ToCsv());
    }

    /// <summary>
    /// Formats the history as JSON: <c>{"params":{"initial_epoch","epochs","steps"},"epoch":[…],"history":{"loss":[…],…,"learning_rate":[…],"time":[…]}}</c>.
    /// Non-finite values are written as <c>null</c>.
    /// </summary>
    /// <returns>The indented JSON text.</returns>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("params");
            writer.WriteNumber("initial_epoch", InitialEpoch);
            writer.WriteNumber("epochs", FinalEpoch);
            writer.WriteNumber("steps", StepsPerEpoch);
            writer.WriteEndObject();
            writer.WriteStartArray("epoch");
            foreach (var e in _epochs)
            {
                writer.WriteNumberValue(e);
            }

            writer.WriteEndArray();
            writer.WriteStartObject("history");
            foreach (var key in _keys)
            {
                WriteSeries(writer, key, _series[key]);
            }

            WriteSeries(writer, LearningRateKey, _learningRates);
            WriteSeries(writer, TimeKey, _durations.Select(d => d.TotalSeconds));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <see cref="ToJson"/> to a file (UTF-8, no BOM), replacing it.</summary>
    /// <param name="path">The file path.</param>
    public void SaveJson(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteText(path, ToJson());
    }

    /// <summary>Formats the last epoch as R's <c>print(history)</c> does: "Final epoch (plot to see history):" and one <c>name: value</c> line per series.</summary>
    /// <returns>The summary text.</returns>
    public override string ToString()
    {
        if (Count == 0)
        {
            return "No epochs were run.";
        }

        var sb = new StringBuilder("Final epoch (plot to see history):");
        var width = _keys.Max(k => k.Length);
        foreach (var key in _keys)
        {
            sb.Append('\n').Append(key.PadLeft(width)).Append(": ").Append(_series[key][^1].ToString("G4", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>Keras' order: loss, metrics, val_loss, validation metrics (stable within a group).</summary>
    private static int KeyRank(string key) =>
        (key.StartsWith("val_", StringComparison.Ordinal) ? 2 : 0) + (key is "loss" or "val_loss" ? 0 : 1);

    private static string FormatNumber(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    private static void WriteSeries(Utf8JsonWriter writer, string key, IEnumerable<double> values)
    {
        writer.WriteStartArray(key);
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                writer.WriteNumberValue(v);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        writer.WriteEndArray();
    }
}
