// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConvViz.Training;

/// <summary>
/// The settings of <c>Fit</c>: Keras' <c>fit_generator(steps_per_epoch, epochs, validation_data, validation_steps,
/// initial_epoch, callbacks)</c> plus progress, logging and a seed.
/// </summary>
public sealed record FitOptions
{
    /// <summary>
    /// Gets Keras' <c>epochs</c>: the index one past the last epoch, <b>not</b> a count when <see cref="InitialEpoch"/> is set.
    /// Training runs the 0-based epochs <see cref="InitialEpoch"/> … <see cref="Epochs"/> − 1.
    /// </summary>
    /// <value>The default value is 1.</value>
    public int Epochs { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value); field = value; } } = 1;

    /// <summary>Gets Keras' <c>initial_epoch</c>: the 0-based index of the first epoch (to resume numbering).</summary>
    /// <value>The default value is 0.</value>
    public int InitialEpoch { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } }

    /// <summary>
    /// Gets the number of training batches per epoch, or <see langword="null"/> for one full pass. When set, the
    /// batches are drawn like from Keras' generators: the cursor carries over between epochs and starts a new (reshuffled) pass when one ends.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? StepsPerEpoch { get; init { if (value is { } v) { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v); } field = value; } }

    /// <summary>Gets the validation data evaluated at the end of every epoch (gives the <c>val_*</c> values), or <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IBatchSource? ValidationData { get; init; }

    /// <summary>
    /// Gets the number of validation batches per epoch, or <see langword="null"/> for one full pass (pass number = epoch,
    /// so a shuffled or augmented source varies between epochs). When set, one validation cursor carries over between
    /// epochs, as Keras' validation generator does: each epoch continues where the last one stopped, and a new
    /// (reshuffled) pass starts when one ends.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? ValidationSteps { get; init { if (value is { } v) { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v); } field = value; } }

    /// <summary>Gets the callbacks, called in this order.</summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<Callback> Callbacks
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            foreach (var callback in value)
            {
                ArgumentNullException.ThrowIfNull(callback, nameof(value));
            }

            field = value.ToArray();
        }
    } = [];

    /// <summary>
    /// Gets Keras' <c>class_weight</c>: the loss weight of each class, index i for class i (R
    /// <c>class_weight = list("0" = 1, "1" = 3)</c> is <c>[1, 3]</c>), or <see langword="null"/> for none. As in
    /// tf.keras, each training sample's loss is multiplied by its class's weight and the batch loss is the mean over
    /// the batch (Σ wᵢ·lossᵢ / N), so the reported <c>loss</c> is weighted; the metrics and all validation values are
    /// not weighted. The class is the label's argmax (one-hot), or the label itself (binary, sparse). Per-sample weights
    /// that come with the data (Keras' <c>sample_weight</c>, <see cref="ConvViz.Data.Batch.SampleWeights"/>) are
    /// multiplied with the class weight in training, and weight the loss (alone) in validation and <c>Evaluate</c>, as in tf.keras.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentException">The list is empty or a weight is negative, NaN or infinite.</exception>
    public IReadOnlyList<double>? ClassWeights
    {
        get;
        init
        {
            if (value is not null)
            {
                if (value.Count == 0 || value.Any(w => !double.IsFinite(w) || w < 0))
                {
                    throw new ArgumentException("FitOptions.ClassWeights needs one finite, non-negative weight per class (index i = class i), for example [1.0, 3.0].", nameof(ClassWeights));
                }

                value = value.ToArray();
            }

            field = value;
        }
    }

    /// <summary>
    /// Gets the receiver of per-batch and per-epoch progress reports, or <see langword="null"/>. With the default
    /// <see cref="Verbosity"/>, setting it replaces the built-in console progress.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>
    /// Gets what <c>Fit</c> prints to <see cref="ProgressWriter"/>: by default a Keras-style progress bar on an
    /// interactive console, one line per epoch when the output is redirected, and nothing when <see cref="Progress"/> is
    /// set. Set <see cref="TrainingVerbosity.Silent"/> to print nothing, or a style to print it in addition to <see cref="Progress"/>.
    /// Whenever it prints, it also prints what Keras prints about the data: each <see cref="ImageFolderDataset"/>'s
    /// <see cref="ImageFolderDataset.FoundMessage"/> ("Found 2000 images belonging to 2 classes.", training data first,
    /// then validation data) once at the start, and a "Warning: Skipping image: …" line for every file a dataset skips
    /// (those skipped before the fit are listed above its "Found" line). The datasets' <c>ILogger</c> messages do not change.
    /// </summary>
    /// <value>The default value is <see cref="TrainingVerbosity.Auto"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="TrainingVerbosity"/> member.</exception>
    public TrainingVerbosity Verbosity
    {
        get;
        init
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(Verbosity), value, "FitOptions.Verbosity must be Auto, Silent, ProgressBar or OneLinePerEpoch.");
            }

            field = value;
        }
    }

    /// <summary>Gets where the built-in progress (<see cref="Verbosity"/>) is written, or <see langword="null"/> for <see cref="Console.Out"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public TextWriter? ProgressWriter { get; init; }

    /// <summary>
    /// Gets what <c>Fit</c> does when the model's <see cref="Models.Model.Preprocessing"/> or <see cref="Models.Model.ClassNames"/>
    /// differ from the training data's. When the model has none, <c>Fit</c> takes the data's (and logs it), so that
    /// <c>PredictImage</c> and a saved model prepare images as in training. The preprocessing of an
    /// <see cref="InMemoryDataset"/> is not taken or compared: its tensors were prepared by the caller, and it only
    /// describes their shape.
    /// </summary>
    /// <value>The default value is <see cref="MetadataMismatchPolicy.Throw"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="MetadataMismatchPolicy"/> member.</exception>
    public MetadataMismatchPolicy MetadataMismatch
    {
        get;
        init
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(MetadataMismatch), value, "FitOptions.MetadataMismatch must be Throw or Warn.");
            }

            field = value;
        }
    }

    /// <summary>
    /// Gets the logger that receives one structured record per epoch (event 500, properties <c>Epoch</c>, <c>Epochs</c>,
    /// <c>Seconds</c> and one per metric under its Keras key) and warnings.
    /// </summary>
    /// <value>The default value is <see cref="NullLogger.Instance"/>.</value>
    public ILogger Logger { get; init { ArgumentNullException.ThrowIfNull(value); field = value; } } = NullLogger.Instance;

    /// <summary>
    /// Gets the seed of libtorch's global generator (it drives Dropout), or <see langword="null"/> to use the fit seed
    /// derived from the global seed of <see cref="Models.ConvVizRuntime.Seed"/> (the same for every fit, so a resumed fit
    /// draws the masks of an uninterrupted one) or, when none is set, to leave the global generator alone. The generator is seeded at the start of every epoch from this seed and the epoch number, so a
    /// run resumed at epoch e (<see cref="InitialEpoch"/> = e) draws the same Dropout masks as an uninterrupted run.
    /// Seeded runs on the CPU repeat exactly when the model's weights and the data source are seeded too.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? Seed { get; init; }
}
