// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text;

namespace ConvViz.Training;

/// <summary>
/// Keras' <c>CSVLogger</c>: writes one row per epoch (the 0-based <c>epoch</c>, then every logged value in sorted key
/// order) to a CSV file. The file is opened, appended and closed at every epoch, so it is complete even if training fails.
/// </summary>
public sealed class CsvLogger : Callback
{
    private string[]? _keys;
    private bool _truncateNext;

    /// <summary>Creates the callback.</summary>
    /// <param name="filePath">The CSV file.</param>
    public CsvLogger(string filePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        FilePath = filePath;
    }

    /// <summary>Gets the CSV file path.</summary>
    public string FilePath { get; }

    /// <summary>Gets the column separator.</summary>
    /// <value>The default value is <c>','</c>.</value>
    public char Separator { get; init; } = ',';

    /// <summary>Gets a value indicating whether to append to an existing file (without repeating its header) instead of replacing it.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Append { get; init; }

    /// <inheritdoc/>
    public override void OnTrainBegin(TrainingEventArgs e)
    {
        _keys = null;
        _truncateNext = !Append;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (epoch, logs) = (e.Epoch, e.Logs);
        var sb = new StringBuilder();
        var writeHeader = _truncateNext || !File.Exists(FilePath) || new FileInfo(FilePath).Length == 0;
        _keys ??= [.. logs.Keys.Order(StringComparer.Ordinal)];
        if (writeHeader)
        {
            sb.Append("epoch");
            foreach (var key in _keys)
            {
                sb.Append(Separator).Append(key);
            }

            sb.Append('\n');
        }

        sb.Append(epoch.ToString(CultureInfo.InvariantCulture));
        foreach (var key in _keys)
        {
            sb.Append(Separator).Append(logs.TryGetValue(key, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA");
        }

        sb.Append('\n');
        var directory = Path.GetDirectoryName(Path.GetFullPath(FilePath))!;
        Directory.CreateDirectory(directory);
        using (var stream = new FileStream(FilePath, _truncateNext ? FileMode.Create : FileMode.Append, FileAccess.Write, FileShare.Read))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.Write(sb.ToString());
        }

        _truncateNext = false;
    }
}
