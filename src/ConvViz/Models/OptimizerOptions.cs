// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>
/// An optimizer and its hyper-parameters. Unset values take Keras' defaults for <see cref="Kind"/>.
/// Create one with <see cref="Adamax"/>, <see cref="Adam"/>, <see cref="Sgd"/> or <see cref="RmsProp"/>.
/// </summary>
public sealed record OptimizerOptions
{
    /// <summary>Gets the optimizer.</summary>
    /// <value>The default value is <see cref="OptimizerKind.Adamax"/>.</value>
    public OptimizerKind Kind { get; init; } = OptimizerKind.Adamax;

    /// <summary>Gets the learning rate; <see langword="null"/> means Keras' default for <see cref="Kind"/> (0.01 for SGD, 0.001 otherwise).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public double? LearningRate { get; init { if (value is { } v) { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v); } field = value; } }

    /// <summary>Gets β1 (Adam, Adamax).</summary>
    /// <value>The default value is 0.9.</value>
    public double Beta1 { get; init { ThrowIfNotInUnitInterval(value); field = value; } } = 0.9;

    /// <summary>Gets β2 (Adam, Adamax).</summary>
    /// <value>The default value is 0.999.</value>
    public double Beta2 { get; init { ThrowIfNotInUnitInterval(value); field = value; } } = 0.999;

    /// <summary>Gets ε (Adam, Adamax, RMSprop).</summary>
    /// <value>The default value is 1e-7, Keras' <c>backend.epsilon()</c>.</value>
    public double Epsilon { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } } = 1e-7;

    /// <summary>Gets the momentum (SGD, RMSprop).</summary>
    /// <value>The default value is 0.</value>
    public double Momentum { get; init { ThrowIfNotInUnitInterval(value); field = value; } }

    /// <summary>Gets a value indicating whether SGD uses Nesterov momentum.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Nesterov { get; init; }

    /// <summary>Gets ρ, the discounting factor of RMSprop.</summary>
    /// <value>The default value is 0.9.</value>
    public double Rho { get; init { ThrowIfNotInUnitInterval(value); field = value; } } = 0.9;

    /// <summary>Gets Keras' legacy <c>decay</c>: the learning rate at iteration t is lr / (1 + decay · t).</summary>
    /// <value>The default value is 0.</value>
    public double Decay { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value); field = value; } }

    /// <summary>Gets the learning rate in effect: <see cref="LearningRate"/> or Keras' default for <see cref="Kind"/>.</summary>
    public double EffectiveLearningRate => LearningRate ?? (Kind == OptimizerKind.Sgd ? 0.01 : 0.001);

    /// <summary>Keras <c>optimizer_adamax(learning_rate)</c>.</summary>
    /// <param name="learningRate">The learning rate; Keras' default is 0.001.</param>
    /// <returns>The options.</returns>
    public static OptimizerOptions Adamax(double learningRate = 0.001) => new() { Kind = OptimizerKind.Adamax, LearningRate = learningRate };

    /// <summary>Keras <c>optimizer_adam(learning_rate)</c>.</summary>
    /// <param name="learningRate">The learning rate; Keras' default is 0.001.</param>
    /// <returns>The options.</returns>
    public static OptimizerOptions Adam(double learningRate = 0.001) => new() { Kind = OptimizerKind.Adam, LearningRate = learningRate };

    /// <summary>Keras <c>optimizer_sgd(learning_rate, momentum, nesterov)</c>.</summary>
    /// <param name="learningRate">The learning rate; Keras' default is 0.01.</param>
    /// <param name="momentum">The momentum in [0, 1).</param>
    /// <param name="nesterov">Whether to use Nesterov momentum.</param>
    /// <returns>The options.</returns>
    public static OptimizerOptions Sgd(double learningRate = 0.01, double momentum = 0, bool nesterov = false) =>
        new() { Kind = OptimizerKind.Sgd, LearningRate = learningRate, Momentum = momentum, Nesterov = nesterov };

    /// <summary>Keras <c>optimizer_rmsprop(learning_rate, rho)</c>.</summary>
    /// <param name="learningRate">The learning rate; Keras' default is 0.001.</param>
    /// <param name="rho">The discounting factor in [0, 1).</param>
    /// <returns>The options.</returns>
    public static OptimizerOptions RmsProp(double learningRate = 0.001, double rho = 0.9) =>
        new() { Kind = OptimizerKind.RmsProp, LearningRate = learningRate, Rho = rho };

    private static void ThrowIfNotInUnitInterval(double value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "The value must be in [0, 1).");
        }
    }
}
