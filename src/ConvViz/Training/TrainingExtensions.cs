// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;

namespace ConvViz.Training;

/// <summary>Keras' <c>fit</c> / <c>fit_generator</c> and <c>evaluate</c> for a compiled <see cref="Model"/>.</summary>
public static class TrainingExtensions
{
    /// <summary>
    /// Trains the model like Keras' <c>fit_generator</c>: for each epoch <see cref="FitOptions.InitialEpoch"/> …
    /// <see cref="FitOptions.Epochs"/> − 1, draws the training batches (one optimizer step each, in training mode, one
    /// dispose scope per batch), then evaluates the validation data in evaluation mode without gradients.
    /// </summary>
    /// <param name="model">A compiled model.</param>
    /// <param name="train">The training batches; labels must match the model's output and the loss.</param>
    /// <param name="options">The settings, or <see langword="null"/> for one epoch with no validation.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The history of the epochs that ran. Loss and metrics are sample-weighted means over each epoch.</returns>
    /// <remarks>
    /// The model keeps its optimizer state between calls (as Keras' <c>model.optimizer</c>); compiling again starts
    /// a fresh one. A run with <see cref="FitOptions.InitialEpoch"/> equal to the epoch the last run (or the loaded
    /// model's saved training state) stopped at continues exactly: same optimizer state, same batches, and with
    /// <see cref="FitOptions.Seed"/> the same Dropout masks. When the model has no <see cref="Model.Preprocessing"/> or
    /// <see cref="Model.ClassNames"/>, Fit sets them from <paramref name="train"/>; see <see cref="FitOptions.MetadataMismatch"/>
    /// for conflicts. Only trainable layers are updated: frozen ones (<see cref="Model.Freeze()"/>) keep their weights, and a
    /// frozen BatchNormalization runs in inference mode. Unless <see cref="FitOptions.Verbosity"/> says otherwise, progress is printed to the console.
    /// Afterwards the model is back in the mode it was in before (evaluation, for a new model).
    /// </remarks>
    /// <exception cref="InvalidOperationException">The model was not compiled, every layer is frozen (<see cref="Model.Freeze()"/>), or another thread is training it or predicting with it.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model (the message names both shapes), the model's preprocessing or class names conflict with the data's (<see cref="FitOptions.MetadataMismatch"/>), or <see cref="FitOptions.InitialEpoch"/> exceeds <see cref="FitOptions.Epochs"/>. Raised before the first step.</exception>
    /// <exception cref="NonFiniteLossException">A batch's loss was NaN or infinite and no callback stopped training.</exception>
    /// <exception cref="TrainingCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled (this is an <see cref="OperationCanceledException"/>).
    /// Cancellation takes effect between batches: every applied update is complete, the optimizer's state matches the
    /// weights, and the model can be trained, evaluated or saved again. The exception's
    /// <see cref="TrainingCanceledException.History"/> holds the epochs that completed.
    /// </exception>
    public static TrainingHistory Fit(this Model model, IBatchSource train, FitOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        NativeBackend.EnsureLoaded();
        return Trainer.Fit(model, train, options ?? new FitOptions(), cancellationToken);
    }

    /// <summary>
    /// Runs <see cref="Fit(Model, IBatchSource, FitOptions?, CancellationToken)"/> on a dedicated thread (TorchSharp's
    /// dispose scopes and gradient mode are per thread, so the whole run stays on that thread).
    /// </summary>
    /// <param name="model">A compiled model; do not use it elsewhere until the task completes.</param>
    /// <param name="train">The training batches.</param>
    /// <param name="options">The settings.</param>
    /// <param name="cancellationToken">Checked between batches; the task then ends as cancelled.</param>
    /// <returns>A task that completes with the history.</returns>
    public static Task<TrainingHistory> FitAsync(this Model model, IBatchSource train, FitOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        return Task.Factory.StartNew(() => model.Fit(train, options, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Computes the loss and metrics over <paramref name="data"/> in evaluation mode without gradients (Keras' <c>evaluate</c>).
    /// </summary>
    /// <param name="model">A compiled model.</param>
    /// <param name="data">The batches.</param>
    /// <param name="steps">The number of batches, or <see langword="null"/> for one full pass.</param>
    /// <param name="progress">Receives a report per batch, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>Sample-weighted means under Keras' keys: <c>loss</c>, <c>accuracy</c>, …</returns>
    /// <exception cref="InvalidOperationException">The model was not compiled, or another thread is training it or predicting with it.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    public static IReadOnlyDictionary<string, double> Evaluate(this Model model, IBatchSource data, int? steps = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (steps is { } s)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(s, nameof(steps));
        }

        NativeBackend.EnsureLoaded();
        return Trainer.Evaluate(model, data, steps, progress, cancellationToken);
    }

    /// <summary>
    /// Gets the model's optimizer (Keras' <c>model.optimizer</c>), creating it from the compile settings if needed.
    /// Its state belongs to the model: it persists across <c>Fit</c> calls, moves with <see cref="Model.To"/>, is
    /// freed with the model, is discarded when the model is compiled again, and is saved with
    /// <see cref="ModelSaveOptions.IncludeTrainingState"/>.
    /// </summary>
    /// <param name="model">A compiled model.</param>
    /// <returns>A view of the model's optimizer state; disposing it does nothing.</returns>
    /// <exception cref="InvalidOperationException">The model was not compiled.</exception>
    public static KerasOptimizer GetOptimizer(this Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        NativeBackend.EnsureLoaded();
        var compilation = model.Compilation ?? throw new InvalidOperationException("The model has no optimizer until it is compiled: call model.Compile(...) first.");
        return new KerasOptimizer(model.TrainingState.GetOrCreate(model, compilation));
    }
}
