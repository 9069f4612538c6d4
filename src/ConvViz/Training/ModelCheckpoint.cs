// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;

namespace ConvViz.Training;

/// <summary>
/// Keras' <c>ModelCheckpoint</c>: saves the model at the end of every epoch, or only when the monitored quantity
/// improves (<see cref="SaveBestOnly"/>). Files are written to a temporary file in the same folder and then renamed
/// over the target, so a crash never leaves a half-written checkpoint.
/// </summary>
public sealed class ModelCheckpoint : Callback
{
    private readonly CheckpointPath _path;
    private double _best = double.NaN;

    /// <summary>Creates the callback.</summary>
    /// <param name="filePath">
    /// The target file. As in Keras, it may hold Python format fields, filled at the end of each epoch:
    /// <c>{epoch}</c> is the 1-based epoch number and any logged value (<c>{loss}</c>, <c>{val_loss}</c>,
    /// <c>{accuracy}</c>, …) is that epoch's value, so <c>weights.{epoch:02d}-{val_loss:.2f}.h5</c> writes
    /// <c>weights.03-0.41.h5</c>. Format specs: <c>[0][width][.precision][type]</c> with type <c>d</c> (the epoch only),
    /// <c>f</c>, <c>e</c> or none (Python's <c>repr</c>); <c>{{</c> and <c>}}</c> are literal braces. Numbers are
    /// formatted as Python does, independent of the current culture.
    /// </param>
    /// <exception cref="ArgumentException">The path is empty, or a field is malformed or has an unsupported format spec.</exception>
    public ModelCheckpoint(string filePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        _path = CheckpointPath.Parse(filePath, nameof(filePath));
        FilePath = filePath;
    }

    /// <summary>Gets the target file path as given, with its format fields (<c>{epoch:02d}</c>, <c>{val_loss:.2f}</c>, …).</summary>
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
    /// <exception cref="InvalidOperationException">The path has a field that is neither <c>epoch</c> nor a logged value; the message lists the names there are.</exception>
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

        var path = Path.GetFullPath(_path.Format(epoch + 1, logs));
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
