// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using ConvViz.Models;

namespace ConvViz.Training;

/// <summary>
/// Keras' <c>ModelCheckpoint</c>: saves the model at the end of every epoch, or only when the monitored quantity
/// improves (<see cref="SaveBestOnly"/>). Files are written to a temporary file in the same folder and then renamed
/// over the target, so a crash never leaves a half-written checkpoint.
/// </summary>
public sealed class ModelCheckpoint : Callback
{
    private double _best = double.NaN;

    /// <summary>Creates the callback.</summary>
    /// <param name="filePath">The target file; <c>{epoch}</c> is replaced by the 1-based epoch number (as Keras formats it).</param>
    public ModelCheckpoint(string filePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        FilePath = filePath;
    }

    /// <summary>Gets the target file path (may contain <c>{epoch}</c>).</summary>
    public string FilePath { get; }

    /// <summary>Gets the logged quantity to watch when <see cref="SaveBestOnly"/> is set.</summary>
    /// <value>The default value is <c>val_loss</c>.</value>
    public string Monitor { get; init { MonitoredValue.ValidateName(value, nameof(Monitor)); field = value; } } = "val_loss";

    /// <summary>Gets whether the quantity should go down or up.</summary>
    /// <value>The default value is <see cref="MonitorMode.Auto"/>.</value>
    public MonitorMode Mode { get; init; }

    /// <summary>Gets a value indicating whether to save only when the monitored quantity improves on the best so far (kept across <c>Fit</c> calls, as in Keras).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool SaveBestOnly { get; init; }

    /// <summary>
    /// Gets the function that writes the model to a stream, or <see langword="null"/> to write a complete ConvViz model
    /// file with <see cref="Model.Save(string)"/> (architecture, compile settings, preprocessing, class names and
    /// weights; read it back with <see cref="Model.Load(string)"/>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<Model, Stream>? Save { get; init; }

    /// <summary>
    /// Gets what the default writer includes (<see cref="ModelSaveOptions.IncludeTrainingState"/> makes checkpoints
    /// that resume training exactly); ignored when <see cref="Save"/> is set.
    /// </summary>
    /// <value>The default value is a <see cref="ModelSaveOptions"/> with its defaults (no training state).</value>
    public ModelSaveOptions SaveOptions { get; init { ArgumentNullException.ThrowIfNull(value); field = value; } } = new();

    /// <summary>Gets the path of the last file written, or <see langword="null"/>.</summary>
    public string? LastSavedPath { get; private set; }

    /// <summary>Gets the 0-based epoch of the last save, or <see langword="null"/>.</summary>
    public int? LastSavedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnEpochEnd(EpochEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (context, epoch, logs) = (e.Context, e.Epoch, e.Logs);
        if (SaveBestOnly)
        {
            if (!MonitoredValue.TryGet(context, logs, Monitor, nameof(ModelCheckpoint), out var current) || double.IsNaN(current))
            {
                return;
            }

            var isMax = MonitoredValue.IsMax(Monitor, Mode);
            var improved = double.IsNaN(_best) || (isMax ? current > _best : current < _best);
            if (!improved)
            {
                return;
            }

            _best = current;
        }

        var path = Path.GetFullPath(FilePath.Replace("{epoch}", (epoch + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        WriteAtomically(context.Model, path);
        LastSavedPath = path;
        LastSavedEpoch = epoch;
        TrainingLog.CheckpointSaved(context.Logger, epoch + 1, path);
    }

    private void WriteAtomically(Model model, string path)
    {
        var save = Save;
        var options = SaveOptions;
        AtomicFile.Write(path, stream =>
        {
            if (save is null)
            {
                model.Save(stream, options);
            }
            else
            {
                save(model, stream);
            }
        }, createDirectory: true);
    }
}
