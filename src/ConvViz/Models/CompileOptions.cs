// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>What <see cref="Model.Compile(CompileOptions)"/> records: Keras' <c>compile(loss, optimizer, metrics)</c>.</summary>
public sealed record CompileOptions
{
    /// <summary>Gets the loss.</summary>
    /// <value>The default value is <see cref="Models.Loss.CategoricalCrossentropy"/>.</value>
    public Loss Loss { get; init; } = Loss.CategoricalCrossentropy;

    /// <summary>Gets the optimizer.</summary>
    /// <value>The default value is Keras' Adamax.</value>
    public OptimizerOptions Optimizer { get; init { ArgumentNullException.ThrowIfNull(value); field = value; } } = new();

    /// <summary>Gets the metrics reported besides the loss.</summary>
    /// <value>The default value is <see cref="Metric.Accuracy"/>.</value>
    public IReadOnlyList<Metric> Metrics { get; init { ArgumentNullException.ThrowIfNull(value); field = value.ToArray(); } } = [Metric.Accuracy];

    /// <summary>
    /// Gets the precision of training and evaluation (mixed precision with <see cref="Models.Precision.BFloat16"/>:
    /// float32 master weights, optimizer state, loss and metrics; bfloat16 convolutions and dense layers).
    /// </summary>
    /// <value>The default value is <see cref="Models.Precision.Float32"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="Models.Precision"/> member.</exception>
    public Precision Precision
    {
        get;
        init
        {
            if (value is not (Precision.Float32 or Precision.BFloat16))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "CompileOptions.Precision must be Precision.Float32 or Precision.BFloat16.");
            }

            field = value;
        }
    }
}
