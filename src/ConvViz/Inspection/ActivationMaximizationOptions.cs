// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Models;

namespace ConvViz.Inspection;

/// <summary>Settings of <see cref="ActivationMaximization"/> (gradient ascent on the input, Chollet's recipe).</summary>
public sealed record ActivationMaximizationOptions
{
    /// <summary>Gets the number of gradient-ascent steps.</summary>
    /// <value>The default value is 40.</value>
    public int Steps
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = 40;

    /// <summary>Gets the step size as a fraction of the input range (<see cref="InputMax"/> − <see cref="InputMin"/>),
    /// applied to a gradient normalised to unit root-mean-square, so every step is bounded.</summary>
    /// <value>The default value is 0.02.</value>
    public double StepSize
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = 0.02;

    /// <summary>Gets the seed of the starting noise.</summary>
    /// <value>
    /// The default value is 0, or, when <c>ConvVizRuntime.Seed</c> set a global seed before these options were
    /// created, the next activation-maximization seed drawn from it.
    /// </value>
    public int Seed { get; init; } = SeedStore.Next(SeedComponent.ActivationMaximization) ?? 0;

    /// <summary>Gets the smallest input value the model saw in training (after preprocessing); the image is clamped to it.
    /// <see cref="WithInputRangeOf"/> sets it from a model's preprocessing.</summary>
    /// <value>The default value is 0 (images rescaled by 1/255).</value>
    public double InputMin
    {
        get;
        init
        {
            field = value;
            HasExplicitInputRange = true;
        }
    }

    /// <summary>Gets the largest input value the model saw in training (after preprocessing); the image is clamped to it.
    /// <see cref="WithInputRangeOf"/> sets it from a model's preprocessing.</summary>
    /// <value>The default value is 1 (images rescaled by 1/255).</value>
    public double InputMax
    {
        get;
        init
        {
            field = value;
            HasExplicitInputRange = true;
        }
    } = 1.0;

    /// <summary>Gets a value indicating whether <see cref="InputMin"/> or <see cref="InputMax"/> was set (in an initializer
    /// or a <see langword="with"/> expression) rather than left at its default.</summary>
    internal bool HasExplicitInputRange { get; private init; }

    /// <summary>
    /// Returns a copy whose <see cref="InputMin"/> and <see cref="InputMax"/> are the range of the inputs
    /// <paramref name="model"/> saw in training, from its <see cref="Model.Preprocessing"/>: about ±2.5 (standard deviations)
    /// for standardised images (<see cref="ImagePreprocessing.SamplewiseStdNormalization"/> or
    /// <see cref="ImagePreprocessing.FeaturewiseStd"/>); ±127.5 × rescale for images only centred
    /// (<see cref="ImagePreprocessing.SamplewiseCenter"/> or <see cref="ImagePreprocessing.FeaturewiseMean"/>); otherwise
    /// 0 to 255 × rescale (so [0, 1] for <c>rescale = 1/255</c>, [0, 255] without rescaling). A model without
    /// preprocessing does not say what it was trained on: the copy keeps this range.
    /// </summary>
    /// <param name="model">The model whose input range is used.</param>
    /// <returns>A copy with the model's input range; every other setting is kept.</returns>
    public ActivationMaximizationOptions WithInputRangeOf(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Preprocessing is not { } p)
        {
            return this;
        }

        var full = 255.0 * Math.Abs(p.Rescale ?? 1.0);
        var (low, high) = p.SamplewiseStdNormalization || p.FeaturewiseStd is not null
            ? (-2.5, 2.5)
            : p.SamplewiseCenter || p.FeaturewiseMean is not null ? (-full / 2, full / 2) : (0.0, full);
        return this with { InputMin = low, InputMax = high };
    }

    /// <summary>Gets the amplitude of the starting noise around the middle of the input range, as a fraction of the range.</summary>
    /// <value>The default value is 0.1 (Chollet's U(0.4, 0.6) for inputs in [0, 1]).</value>
    public double NoiseAmplitude
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 0.5);
            field = value;
        }
    } = 0.1;

    /// <summary>
    /// Gets the objective when the maximised layer is the model's output layer: the class score before softmax or
    /// sigmoid, or the probability. Inner layers are always maximised after their activation (the mean of the feature map).
    /// </summary>
    /// <value>The default value is <see cref="AttributionTarget.Score"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not an <see cref="AttributionTarget"/> member.</exception>
    public AttributionTarget Target
    {
        get;
        init
        {
            ClassScore.ValidateTarget(value, nameof(Target));
            field = value;
        }
    }

    /// <summary>Gets an optional wall-clock budget; the ascent stops after the step that exceeds it.</summary>
    /// <value>The default value is <see langword="null"/> (run all <see cref="Steps"/>).</value>
    public TimeSpan? TimeLimit
    {
        get;
        init
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero);
            }

            field = value;
        }
    }

    /// <summary>
    /// Gets the largest random shift, in pixels, applied to the image (circularly, both axes) before each step's forward
    /// pass: a regulariser against patterns that only work at one exact position (high-frequency noise), as in Mordvintsev
    /// et al.'s DeepDream and Olah et al.'s feature visualisation. The shifts are drawn from <see cref="Seed"/>.
    /// </summary>
    /// <value>The default value is 0 (no jitter).</value>
    public int Jitter
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Jitter));
            field = value;
        }
    }

    /// <summary>
    /// Gets the standard deviation, in pixels, of a Gaussian blur applied to the image every <see cref="BlurEvery"/>
    /// steps (Yosinski et al.'s regulariser): it removes the high frequencies gradient ascent otherwise piles up.
    /// </summary>
    /// <value>The default value is 0 (no blur).</value>
    public double BlurSigma
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(BlurSigma));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 10.0, nameof(BlurSigma));
            field = value;
        }
    }

    /// <summary>Gets how often, in steps, <see cref="BlurSigma"/> is applied.</summary>
    /// <value>The default value is 4.</value>
    public int BlurEvery
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(BlurEvery));
            field = value;
        }
    } = 4;

    /// <summary>
    /// Gets the fraction by which the image is pulled toward the middle of the input range after every step (an L2
    /// decay, Yosinski et al.): parts of the image that do not help the objective fade to grey.
    /// </summary>
    /// <value>The default value is 0 (no decay).</value>
    public double Decay
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Decay));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(value, 1.0, nameof(Decay));
            field = value;
        }
    }
}
