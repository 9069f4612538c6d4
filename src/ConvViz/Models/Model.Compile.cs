// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

public sealed partial class Model
{
    /// <summary>Gets the settings of the last <see cref="Compile(CompileOptions)"/>, or <see langword="null"/> if the model was never compiled.</summary>
    public CompileOptions? Compilation { get; private set; }

    /// <summary>
    /// Records the loss, optimizer, metrics and precision used by training, like Keras' <c>compile</c>, and sets
    /// <see cref="Precision"/> from <see cref="CompileOptions.Precision"/>. Compiling again replaces them and, as in
    /// Keras, discards the optimizer state (step count, moments, learning-rate changes): the next <c>Fit</c> starts a
    /// fresh optimizer. To continue training exactly, do not compile a loaded model again.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <returns>This model.</returns>
    /// <exception cref="NotSupportedException"><see cref="CompileOptions.Precision"/> is bfloat16 on a CPU without bfloat16 units.</exception>
    public Model Compile(CompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed, this);
        PrecisionSupport.Validate(options.Precision, Device, "CompileOptions.Precision");
        Precision = options.Precision;
        Compilation = options;
        _training.Reset();
        return this;
    }

    /// <summary>Records the loss, optimizer and metrics used by training, like Keras' <c>compile(loss, optimizer, metrics)</c>.</summary>
    /// <param name="loss">The loss.</param>
    /// <param name="optimizer">The optimizer, for example <c>OptimizerOptions.Adamax(0.001)</c>.</param>
    /// <param name="metrics">The metrics, for example <see cref="Metric.Accuracy"/>.</param>
    /// <returns>This model.</returns>
    public Model Compile(Loss loss, OptimizerOptions optimizer, params Metric[] metrics) =>
        Compile(new CompileOptions { Loss = loss, Optimizer = optimizer, Metrics = metrics });
}
