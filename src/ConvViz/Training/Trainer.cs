// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using ConvViz.Data;
using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Training;

/// <summary>The training and evaluation loops behind <see cref="TrainingExtensions"/>.</summary>
internal static class Trainer
{
    public static TrainingHistory Fit(Model model, IBatchSource train, FitOptions options, CancellationToken cancellationToken)
    {
        var compilation = RequireCompiled(model, "Fit");
        if (options.InitialEpoch > options.Epochs)
        {
            throw new ArgumentException(
                $"InitialEpoch ({options.InitialEpoch}) is greater than Epochs ({options.Epochs}). As in Keras, Epochs is the final epoch " +
                $"number, not a count: to train {options.Epochs} more epochs from epoch {options.InitialEpoch}, set Epochs = {options.InitialEpoch + options.Epochs}.",
                nameof(options));
        }

        CheckSource(model, train, "training data", nameof(train));
        CheckClassWeights(model, options);
        if (options.ValidationData is { } validation)
        {
            CheckSource(model, validation, "validation data", nameof(options));
        }

        if (model.TrainableParameters().Count == 0)
        {
            throw new InvalidOperationException(
                $"Every layer of the model is frozen (or has no weights), so Fit would change nothing. Unfreeze the layers to train, for example " +
                $"model.Unfreeze(\"{model.Layers[^1].Name}\") for the last one; to compute features with a frozen base, use ExtractFeatures.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var lease = model.BeginTraining("Fit");
        DataMetadata.Adopt(model, train, options);
        var trainingState = model.TrainingState;
        CheckResume(trainingState, compilation, options);
        // Layers frozen or unfrozen since the optimizer was created: it covers the trainable parameters now, keeping the
        // moments of those that stayed trainable (Freeze and Unfreeze do this already; this covers any other path).
        var state = trainingState.GetOrCreate(model, compilation);
        trainingState.Sync(model.TrainableParameters());
        var optimizer = new KerasOptimizer(state);
        var steps = options.StepsPerEpoch ?? train.BatchesPerEpoch;
        var history = new TrainingHistory(options.InitialEpoch, options.Epochs, steps);
        var context = new TrainingContext(model, optimizer, options.Epochs, steps, options.InitialEpoch, history, options.Logger);
        IReadOnlyDictionary<string, double>? lastLogs = null;
        var keys = Keys(compilation);
        var module = model.Module;
        var wasTraining = module.training;
        var (progress, console) = ProgressFor(options);
        using var dataMessages = console is null ? null : new DataMessages(console, train, options.ValidationData);

        using var cursor = new BatchCursor(train, options.InitialEpoch, cancellationToken);

        // One validation cursor for the whole fit, as Keras carries one validation iterator across epochs: with
        // ValidationSteps each epoch continues where the last one stopped (and reshuffles when a pass ends).
        using var validationCursor = options.ValidationData is { } validationSource ? new BatchCursor(validationSource, options.InitialEpoch, cancellationToken) : null;

        // Resuming where the model's last epoch stopped (after Load with its training state, or a second Fit): the
        // cursors that carry over between epochs continue exactly where that run left them.
        if (trainingState.Position is { } position && position.NextEpoch == options.InitialEpoch)
        {
            if (options.StepsPerEpoch is not null && position.StepsPerEpoch == options.StepsPerEpoch)
            {
                cursor.Seek(position.Train, train.BatchesPerEpoch);
            }

            if (validationCursor is not null && options.ValidationSteps is not null && position.ValidationSteps == options.ValidationSteps && position.Validation is { } v)
            {
                validationCursor.Seek(v, options.ValidationData!.BatchesPerEpoch);
            }
        }

        var checkedTraining = false;
        var checkedValidation = false;
        try
        {
            foreach (var callback in options.Callbacks)
            {
                callback.OnTrainBegin(new TrainingEventArgs { Context = context });
            }

            for (var epoch = options.InitialEpoch; epoch < options.Epochs && !context.StopTraining; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var callback in options.Callbacks)
                {
                    callback.OnEpochBegin(new EpochEventArgs { Context = context, Epoch = epoch });
                }

                if (options.StepsPerEpoch is null)
                {
                    cursor.Restart(epoch);
                }

                if ((options.Seed ?? SeedStore.Fixed(SeedComponent.Fit)) is { } seed)
                {
                    // Seeded per epoch (not once per Fit) so that a run resumed at this epoch draws the same Dropout masks.
                    manual_seed(SeedMixer.Mix(seed, epoch, 3L << 32));
                }

                var clock = Stopwatch.StartNew();
                var accumulator = new MetricAccumulator(keys);
                for (var step = 0; step < steps; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    foreach (var callback in options.Callbacks)
                    {
                        callback.OnBatchBegin(new BatchEventArgs { Context = context, Epoch = epoch, Batch = step });
                    }

                    module.train();
                    double loss;
                    using (var batch = cursor.Next())
                    {
                        if (!checkedTraining)
                        {
                            CheckBatch(model, compilation, batch, "training data", nameof(train));
                            checkedTraining = true;
                        }

                        loss = TrainStep(model, compilation, optimizer, batch, accumulator, options.ClassWeights);
                    }

                    var logs = accumulator.Means();
                    foreach (var callback in options.Callbacks)
                    {
                        callback.OnBatchEnd(new BatchEventArgs { Context = context, Epoch = epoch, Batch = step, Logs = logs });
                    }

                    Report(progress, TrainingPhase.TrainingBatch, epoch, options.Epochs, step + 1, steps, logs, clock.Elapsed);
                    if (!double.IsFinite(loss))
                    {
                        TrainingLog.NonFiniteLoss(options.Logger, epoch + 1, step + 1, loss);
                        if (!context.StopTraining)
                        {
                            throw new NonFiniteLossException(epoch, step, loss);
                        }
                    }

                    if (context.StopTraining)
                    {
                        TrainingLog.Stopped(options.Logger, epoch + 1, step + 1, "a callback set StopTraining");
                        break;
                    }
                }

                if (options.StepsPerEpoch is null)
                {
                    // End the pass before reading another source: its enumerator may hold a dispose scope open.
                    cursor.Release();
                }

                var epochLogs = accumulator.Means();
                if (options.ValidationData is { } validationData && validationCursor is not null)
                {
                    if (options.ValidationSteps is null)
                    {
                        validationCursor.Restart(epoch);
                    }

                    var validationSteps = options.ValidationSteps ?? validationData.BatchesPerEpoch;
                    var validationLogs = Evaluate(
                        model, compilation, validationCursor, validationSteps, epoch, options.Epochs, progress, checkedValidation ? null : "validation data", nameof(options), cancellationToken);
                    checkedValidation = true;
                    if (options.ValidationSteps is null)
                    {
                        validationCursor.Release();
                    }

                    foreach (var (key, value) in validationLogs)
                    {
                        epochLogs["val_" + key] = value;
                    }
                }

                var learningRate = optimizer.CurrentLearningRate;
                epochLogs[TrainingHistory.LearningRateKey] = learningRate;
                clock.Stop();
                history.Add(epoch, epochLogs, learningRate, clock.Elapsed);
                trainingState.Position = new TrainingPosition(
                    epoch + 1, options.StepsPerEpoch, cursor.Position, options.ValidationSteps, validationCursor?.Position);
                TrainingLog.EpochEnd(options.Logger, epoch + 1, options.Epochs, clock.Elapsed, epochLogs);

                lastLogs = epochLogs;
                foreach (var callback in options.Callbacks)
                {
                    callback.OnEpochEnd(new EpochEventArgs { Context = context, Epoch = epoch, Logs = epochLogs });
                }

                Report(progress, TrainingPhase.EpochEnd, epoch, options.Epochs, steps, steps, epochLogs, clock.Elapsed);
            }

            foreach (var callback in options.Callbacks)
            {
                callback.OnTrainEnd(new TrainingEventArgs { Context = context, Logs = lastLogs ?? new Dictionary<string, double>() });
            }
        }
        catch (OperationCanceledException ex) when (ex is not TrainingCanceledException && cancellationToken.IsCancellationRequested)
        {
            throw new TrainingCanceledException(history, ex, cancellationToken);
        }
        finally
        {
            cursor.Release();
            validationCursor?.Release();
            module.zero_grad();
            module.train(wasTraining);
        }

        return history;
    }

    public static Dictionary<string, double> Evaluate(Model model, IBatchSource data, int? steps, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var compilation = RequireCompiled(model, "Evaluate");
        CheckSource(model, data, "evaluation data", nameof(data));
        using var lease = model.BeginTraining("Evaluate");
        using var cursor = new BatchCursor(data, 0, cancellationToken);
        try
        {
            return Evaluate(model, compilation, cursor, steps ?? data.BatchesPerEpoch, 0, 1, progress, "evaluation data", nameof(data), cancellationToken);
        }
        finally
        {
            cursor.Release();
        }
    }

    /// <summary>The history keys of a compilation: <c>loss</c>, then each distinct metric.</summary>
    internal static string[] Keys(CompileOptions compilation) =>
        [LossFunctions.Key, .. DistinctMetrics(compilation).Select(MetricFunctions.Key)];

    private static Metric[] DistinctMetrics(CompileOptions compilation) =>
        compilation.Metrics.DistinctBy(MetricFunctions.Key).ToArray();

    private static Dictionary<string, double> Evaluate(
        Model model, CompileOptions compilation, BatchCursor cursor, int steps, int epoch, int epochs, IProgress<TrainingProgress>? progress, string? checkWhat, string parameter, CancellationToken cancellationToken)
    {
        var module = model.Module;
        var wasTraining = module.training;
        var keys = Keys(compilation);
        var accumulator = new MetricAccumulator(keys);
        var clock = Stopwatch.StartNew();
        module.eval();
        try
        {
            for (var step = 0; step < steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (var batch = cursor.Next())
                {
                    if (checkWhat is not null && step == 0)
                    {
                        CheckBatch(model, compilation, batch, checkWhat, parameter);
                    }

                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    var predictions = model.Forward(batch.Images);
                    var labels = model.ToModelDevice(batch.Labels!);

                    // tf.keras evaluate: sample weights from the data weight the loss (Σ w·l / N), not the metrics.
                    Tensor? weightedLoss = null;
                    if (batch.SampleWeights is { } sampleWeights)
                    {
                        var perSample = LossFunctions.PerSample(compilation.Loss, predictions, labels);
                        weightedLoss = perSample.mul(sampleWeights.to(perSample.dtype, perSample.device));
                    }

                    Accumulate(compilation, predictions, labels, weightedLoss, accumulator, batch.Count);
                }

                Report(progress, TrainingPhase.ValidationBatch, epoch, epochs, step + 1, steps, accumulator.Means(), clock.Elapsed);
            }
        }
        finally
        {
            module.train(wasTraining);
        }

        return accumulator.Means();
    }

    /// <summary>
    /// Refuses to resume a run loaded from a model file with another optimizer than the one it was saved with (its moments
    /// would be meaningless for it), and warns when Compile after Load discarded the saved state of the same optimizer.
    /// </summary>
    private static void CheckResume(TrainingState state, CompileOptions compilation, FitOptions options)
    {
        if (state.Loaded is { } loaded && state.Optimizer is null && options.InitialEpoch > 0 && (loaded.NextEpoch is null || loaded.NextEpoch == options.InitialEpoch))
        {
            if (loaded.Optimizer != compilation.Optimizer.Kind)
            {
                throw new InvalidOperationException(
                    $"Fit with InitialEpoch = {options.InitialEpoch} resumes the run saved in the model file, which was trained with {loaded.Optimizer} " +
                    $"({loaded.Iterations} steps), but the model was compiled again with {compilation.Optimizer.Kind}. To continue that run, do not call " +
                    $"Compile after Model.Load (the loaded model is compiled and keeps its optimizer state); to fine-tune with {compilation.Optimizer.Kind} " +
                    "instead, start a new run with InitialEpoch = 0.");
            }

            TrainingLog.LoadedStateDiscarded(options.Logger, options.InitialEpoch + 1, loaded.Optimizer, loaded.Iterations);
        }

        state.TakeLoaded();
    }

    /// <summary>One optimizer step in its own dispose scope; returns the batch loss (the update is skipped when it is not finite).</summary>
    private static double TrainStep(Model model, CompileOptions compilation, KerasOptimizer optimizer, Batch batch, MetricAccumulator accumulator, IReadOnlyList<double>? classWeights)
    {
        using var scope = NewDisposeScope();
        model.Module.zero_grad();
        var predictions = model.Forward(batch.Images);
        var labels = model.ToModelDevice(batch.Labels!);
        var perSample = LossFunctions.PerSample(compilation.Loss, predictions, labels);
        if (classWeights is not null)
        {
            // tf.keras: sample weight = class_weight[class of y]; loss = Σ w·l / N (SUM_OVER_BATCH_SIZE).
            using var weights = SampleWeights(classWeights, labels);
            perSample = perSample.mul(weights.to(perSample.dtype, perSample.device));
        }

        if (batch.SampleWeights is { } sampleWeights)
        {
            // tf.keras: a sample weight from the data multiplies the class weight.
            perSample = perSample.mul(sampleWeights.to(perSample.dtype, perSample.device));
        }

        var loss = perSample.mean();
        var lossValue = (double)loss.item<float>();
        // A callback may have frozen every layer: then there is nothing to differentiate.
        if (double.IsFinite(lossValue) && loss.requires_grad)
        {
            loss.backward();
            optimizer.Step();
        }

        using var noGrad = no_grad();
        Accumulate(compilation, predictions.detach(), labels, perSample.detach(), accumulator, batch.Count);
        return lossValue;
    }

    /// <summary>The class weight of each sample: one-hot labels [N, K] by argmax, otherwise the label value as a class index.</summary>
    internal static Tensor SampleWeights(IReadOnlyList<double> classWeights, Tensor labels)
    {
        var classes = labels.dim() == 2 && labels.shape[1] > 1
            ? labels.argmax(1)
            : labels.reshape(-1).to_type(ScalarType.Int64);
        var table = tensor(classWeights.ToArray(), ScalarType.Float64).to(classes.device);
        using var classCount = Scalars.Create(classWeights.Count);
        var outOfRange = classes.lt(Scalars.Zero).logical_or(classes.ge(classCount));
        if (outOfRange.any().item<bool>())
        {
            throw new InvalidOperationException(
                $"A training label is class {classes.masked_select(outOfRange)[0].item<long>()}, but FitOptions.ClassWeights has weights for classes 0 to {classWeights.Count - 1} only. Give one weight per class.");
        }

        return table.index_select(0, classes);
    }

    /// <summary>Checks that the class weights cover the model's classes, as Keras requires keys 0 … K − 1.</summary>
    private static void CheckClassWeights(Model model, FitOptions options)
    {
        if (options.ClassWeights is not { } weights || model.OutputShape.IsSpatial)
        {
            return;
        }

        var classes = model.OutputShape.Channels == 1 ? 2 : model.OutputShape.Channels;
        if (weights.Count != classes)
        {
            throw new ArgumentException(
                $"FitOptions.ClassWeights has {weights.Count} weights but the model predicts {classes} classes (output {model.OutputShape}). " +
                $"Give exactly one weight per class, index i for class i, as Keras' class_weight needs keys 0 to {classes - 1}.",
                nameof(options));
        }
    }

    private static void Accumulate(CompileOptions compilation, Tensor predictions, Tensor labels, Tensor? perSampleLoss, MetricAccumulator accumulator, int count)
    {
        var metrics = DistinctMetrics(compilation);
        var sums = new double[metrics.Length + 1];
        perSampleLoss ??= LossFunctions.PerSample(compilation.Loss, predictions, labels);
        sums[0] = perSampleLoss.to_type(ScalarType.Float64).sum().item<double>();
        for (var i = 0; i < metrics.Length; i++)
        {
            sums[i + 1] = MetricFunctions.PerSample(metrics[i], predictions, labels).to_type(ScalarType.Float64).sum().item<double>();
        }

        accumulator.Add(sums, count);
    }

    private static void Report(IProgress<TrainingProgress>? progress, TrainingPhase phase, int epoch, int epochs, int step, int steps, IReadOnlyDictionary<string, double> logs, TimeSpan elapsed)
    {
        if (progress is null)
        {
            return;
        }

        var remaining = step >= steps ? TimeSpan.Zero : elapsed / step * (steps - step);
        progress.Report(new TrainingProgress(phase, epoch, epochs, step, steps, new Dictionary<string, double>(logs), elapsed, remaining));
    }

    /// <summary>The progress receiver of a fit: the user's, or the library's console reporter chosen by <see cref="FitOptions.Verbosity"/>.</summary>
    private static (IProgress<TrainingProgress>? Progress, ConsoleProgressReporter? Console) ProgressFor(FitOptions options)
    {
        var verbosity = options.Verbosity;
        if (verbosity == TrainingVerbosity.Auto && options.Progress is not null)
        {
            return (options.Progress, null);
        }

        var console = verbosity == TrainingVerbosity.Silent ? null : new ConsoleProgressReporter(options.ProgressWriter, verbosity);
        return (options.Progress is null ? console : console is null ? options.Progress : new BothProgress(options.Progress, console), console);
    }

    private sealed class BothProgress(IProgress<TrainingProgress> first, IProgress<TrainingProgress> second) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            first.Report(value);
            second.Report(value);
        }
    }

    private static CompileOptions RequireCompiled(Model model, string operation) =>
        model.Compilation ?? throw new InvalidOperationException(
            $"The model must be compiled before {operation}: call model.Compile(Loss.BinaryCrossentropy, OptimizerOptions.Adamax(0.001), Metric.Accuracy) " +
            "(or another loss, optimizer and metrics) first, as with Keras' compile().");

    /// <summary>Checks what a source declares (image size, channels, class count) before any batch is drawn.</summary>
    private static void CheckSource(Model model, IBatchSource source, string what, string parameter)
    {
        ArgumentNullException.ThrowIfNull(source, parameter);
        model.ThrowIfTakesVectors(what == "evaluation data" ? "Evaluate" : "Fit (which trains on image batch sources)");
        if (source.ClassMode is ClassMode.None or ClassMode.Input)
        {
            throw new ArgumentException(
                $"The {what} has class mode {source.ClassMode}, which yields no class labels; training and evaluation need labels. " +
                "Use ClassMode.Categorical, Binary or Sparse.",
                parameter);
        }

        // A feature dataset's batches are a base model's outputs, not images of its (source's) preprocessing.
        var imageShape = source is FeatureDataset features ? features.FeatureShape : source.Preprocessing.OutputShape;
        if (imageShape != model.InputShape)
        {
            throw new ArgumentException(
                $"The {what} yields images of shape {imageShape} but the model's input shape is {model.InputShape}. " +
                $"Set the source's target size to {model.InputShape.Height}×{model.InputShape.Width} and its color mode to {model.InputShape.Channels} channel(s).",
                parameter);
        }

        if (!model.OutputShape.IsSpatial && source.ClassNames.Count > 0 && source.ClassMode == ClassMode.Categorical && source.ClassNames.Count != model.OutputShape.Channels)
        {
            throw new ArgumentException(
                $"The {what} has {source.ClassNames.Count} classes (one-hot labels (None, {source.ClassNames.Count})) but the model's output shape is {model.OutputShape}. " +
                $"Make the last Dense layer have {source.ClassNames.Count} units.",
                parameter);
        }
    }

    /// <summary>Checks the first batch of a source against the model before any step, naming both shapes.</summary>
    private static void CheckBatch(Model model, CompileOptions compilation, Batch batch, string what, string parameter)
    {
        var expected = model.InputShape.ToBatchShape(batch.Count);
        var images = batch.Images.shape;
        if (images.Length != 4 || images[1] != expected[1] || images[2] != expected[2] || images[3] != expected[3])
        {
            throw new ArgumentException(
                $"The {what} yields image batches of shape [{string.Join(", ", images)}] but the model expects [{string.Join(", ", expected)}] " +
                $"(N, C, H, W; Keras input shape {model.InputShape}). Resize the images to {model.InputShape.Height}×{model.InputShape.Width} with {model.InputShape.Channels} channel(s).",
                parameter);
        }

        if (batch.Labels is not { } labels)
        {
            throw new ArgumentException($"The {what} yields batches without labels; training and evaluation need labels.", parameter);
        }

        var output = model.OutputShape;
        if (output.IsSpatial)
        {
            throw new ArgumentException(
                $"The model's output shape is {output}, a feature map; losses need a flat output (N, K). Add Flatten and Dense layers.", parameter);
        }

        var units = output.Channels;
        var shape = labels.shape;
        var ok = compilation.Loss == Loss.SparseCategoricalCrossentropy
            ? (shape.Length == 1 || (shape.Length == 2 && shape[1] == 1))
            : (shape.Length == 2 && shape[1] == units) || (shape.Length == 1 && units == 1);
        if (!ok)
        {
            var hint = compilation.Loss == Loss.SparseCategoricalCrossentropy
                ? "Sparse categorical cross-entropy needs class indices [N] (ClassMode.Sparse)."
                : units == 1
                    ? "A 1-unit output needs labels [N] or [N, 1] (ClassMode.Binary)."
                    : $"Use one-hot labels [N, {units}] (ClassMode.Categorical), or Loss.SparseCategoricalCrossentropy with ClassMode.Sparse.";
            throw new ArgumentException(
                $"The {what} yields labels of shape [{string.Join(", ", shape)}] but the model's output shape is [N, {units}] (Keras {output}) " +
                $"and the loss is {compilation.Loss}. {hint}",
                parameter);
        }
    }
}
