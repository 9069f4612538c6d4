// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Parameter = TorchSharp.Modules.Parameter;

namespace ConvViz.Models;

/// <summary>Where a batch cursor stands: the next batch is batch <see cref="Offset"/> (0-based) of pass <see cref="Pass"/>.</summary>
internal readonly record struct CursorPosition(int Pass, int Offset);

/// <summary>
/// Where training stopped, so that a <c>Fit</c> that starts at <see cref="NextEpoch"/> draws exactly the batches an
/// uninterrupted run would have drawn. Only cursors that carry over between epochs (a fixed number of steps per
/// epoch) need it; full passes start at pass = epoch anyway.
/// </summary>
internal sealed record TrainingPosition(int NextEpoch, int? StepsPerEpoch, CursorPosition Train, int? ValidationSteps, CursorPosition? Validation);

/// <summary>The run a model file's training state came from: its optimizer, its step count and the epoch it stopped before.</summary>
internal sealed record LoadedRun(OptimizerKind Optimizer, long Iterations, int? NextEpoch);

/// <summary>
/// The training state a <see cref="Model"/> owns (Keras' <c>model.optimizer</c> and where the data stopped): freed
/// with the model, moved with it by <see cref="Model.To"/>, reset by <see cref="Model.Compile(CompileOptions)"/>,
/// and saved in the model file on request.
/// </summary>
internal sealed class TrainingState : IDisposable
{
    private readonly Lock _gate = new();
    private OptimizerState? _optimizer;
    private CompileOptions? _compilation;

    /// <summary>Gets or sets where the last epoch left the data cursors, or <see langword="null"/>.</summary>
    public TrainingPosition? Position
    {
        get { lock (_gate) { return field; } }
        set { lock (_gate) { field = value; } }
    }

    /// <summary>
    /// Gets the run whose training state was loaded from a model file, until the next <c>Fit</c> starts; kept through a
    /// later <c>Compile</c> (which drops the state itself), so that <c>Fit</c> can refuse to resume that run with another optimizer.
    /// </summary>
    public LoadedRun? Loaded
    {
        get { lock (_gate) { return field; } }
        private set { lock (_gate) { field = value; } }
    }

    /// <summary>Returns <see cref="Loaded"/> and forgets it (called when a <c>Fit</c> starts).</summary>
    public LoadedRun? TakeLoaded()
    {
        lock (_gate)
        {
            var loaded = Loaded;
            Loaded = null;
            return loaded;
        }
    }

    /// <summary>Gets the optimizer state, or <see langword="null"/> before the first use after compiling.</summary>
    public OptimizerState? Optimizer
    {
        get { lock (_gate) { return _optimizer; } }
    }

    /// <summary>Returns the optimizer state of <paramref name="compilation"/>, creating a fresh one when there is none or it belongs to another compilation.</summary>
    public OptimizerState GetOrCreate(Model model, CompileOptions compilation)
    {
        lock (_gate)
        {
            if (_optimizer is null || !ReferenceEquals(_compilation, compilation))
            {
                _optimizer?.Dispose();
                _optimizer = null;
                _optimizer = new OptimizerState(compilation.Optimizer, model.TrainableParameters());
                _compilation = compilation;
            }

            return _optimizer;
        }
    }

    /// <summary>Installs a restored optimizer state (from a model file) for <paramref name="compilation"/>.</summary>
    public void Restore(CompileOptions compilation, OptimizerState optimizer, TrainingPosition? position)
    {
        lock (_gate)
        {
            _optimizer?.Dispose();
            _optimizer = optimizer;
            _compilation = compilation;
            Position = position;
            Loaded = new LoadedRun(optimizer.Options.Kind, optimizer.Iterations, position?.NextEpoch);
        }
    }

    /// <summary>Drops the optimizer state and the data position (a new compilation starts afresh, as in Keras); <see cref="Loaded"/> is kept.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _optimizer?.Dispose();
            _optimizer = null;
            _compilation = null;
            Position = null;
        }
    }

    /// <summary>Points the optimizer state at the model's parameters after they moved, keeping its values.</summary>
    public void Rebind(IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        lock (_gate)
        {
            _optimizer?.Rebind(parameters);
        }
    }

    /// <summary>
    /// Makes the optimizer state (if any) cover the model's trainable parameters after layers were frozen or unfrozen,
    /// keeping the moments of the parameters that stay trainable (see <see cref="OptimizerState.Sync"/>).
    /// </summary>
    public void Sync(IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        lock (_gate)
        {
            _optimizer?.Sync(parameters);
        }
    }

    public void Dispose()
    {
        Reset();
        Loaded = null;
    }
}
