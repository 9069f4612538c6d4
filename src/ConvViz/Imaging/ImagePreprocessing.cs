// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Imaging;

/// <summary>
/// The deterministic preprocessing that turns a decoded image into model input: resize to the target size,
/// colour conversion, then Keras' <c>standardize</c> steps (rescale, samplewise centre/std, featurewise centre/std).
/// It travels with a dataset and is saved with a trained model, so prediction and visualisation on a single image
/// use exactly what training used. Random augmentation is not part of it.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>Keras' epsilon for the std normalisations.</summary>
    public const double Epsilon = 1e-6;

    private IReadOnlyList<float>? _featurewiseMean;
    private IReadOnlyList<float>? _featurewiseStd;

    /// <summary>Gets the target height in pixels.</summary>
    /// <value>The default value is 256, as Keras' <c>target_size</c>.</value>
    public int TargetHeight { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value); field = value; } } = 256;

    /// <summary>Gets the target width in pixels.</summary>
    /// <value>The default value is 256.</value>
    public int TargetWidth { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value); field = value; } } = 256;

    /// <summary>Gets the colour mode.</summary>
    /// <value>The default value is <see cref="ColorMode.Rgb"/>.</value>
    public ColorMode ColorMode { get; init; } = ColorMode.Rgb;

    /// <summary>Gets the resampling used for resizing.</summary>
    /// <value>The default value is <see cref="Interpolation.Nearest"/>, as Keras.</value>
    public Interpolation Interpolation { get; init; } = Interpolation.Nearest;

    /// <summary>
    /// Gets the factor pixel values (0–255) are multiplied by, such as 1/255; <see langword="null"/> or 0 for none
    /// (Keras skips <c>rescale = 0</c>, as <c>if self.rescale:</c> is false).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite.</exception>
    public double? Rescale
    {
        get;
        init
        {
            if (value is { } v && !double.IsFinite(v))
            {
                throw new ArgumentOutOfRangeException(nameof(Rescale), v, "ImagePreprocessing.Rescale must be a finite factor such as 1.0 / 255; use null (or 0, as in Keras) for no rescaling.");
            }

            field = value;
        }
    }

    /// <summary>Gets a value indicating whether each image's mean (one scalar over all channels) is subtracted.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool SamplewiseCenter { get; init; }

    /// <summary>
    /// Gets a value indicating whether each image is divided by its standard deviation (one scalar over all channels)
    /// plus <see cref="Epsilon"/>. As in Keras, this implies <see cref="SamplewiseCenter"/>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool SamplewiseStdNormalization { get; init; }

    /// <summary>Gets the per-channel dataset mean to subtract (from a featurewise fit), or <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<float>? FeaturewiseMean { get => _featurewiseMean; init => _featurewiseMean = value?.ToArray(); }

    /// <summary>Gets the per-channel dataset standard deviation to divide by (from a featurewise fit), or <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<float>? FeaturewiseStd { get => _featurewiseStd; init => _featurewiseStd = value?.ToArray(); }

    /// <summary>Gets the number of channels <see cref="ColorMode"/> produces.</summary>
    public int Channels => ColorModes.Channels(ColorMode);

    /// <summary>Gets the shape of one preprocessed image.</summary>
    public ImageShape OutputShape => new(TargetHeight, TargetWidth, Channels);

    /// <summary>
    /// Applies the standardisation steps (rescale, samplewise, featurewise) to a batch of decoded, resized images.
    /// </summary>
    /// <param name="pixels">Float32 images [B, C, H, W] with values in 0–255; not disposed.</param>
    /// <returns>A new float32 tensor of the same shape; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The batch does not have <see cref="Channels"/> channels.</exception>
    public Tensor Standardize(Tensor pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.dim() != 4 || pixels.shape[1] != Channels)
        {
            throw new ArgumentException($"Expected images [B, {Channels}, H, W]; got [{string.Join(", ", pixels.shape)}].", nameof(pixels));
        }

        using var scope = NewDisposeScope();
        var x = pixels.to_type(ScalarType.Float32, copy: true);
        if (Rescale is { } rescale && rescale != 0)
        {
            using var factor = Scalars.Create(rescale);
            x = x.mul(factor);
        }

        if (SamplewiseCenter || SamplewiseStdNormalization)
        {
            x = x.sub(x.mean([1, 2, 3], keepdim: true));
        }

        if (SamplewiseStdNormalization)
        {
            // Population standard deviation, as numpy's np.std in Keras.
            using var epsilon = Scalars.Create(Epsilon);
            x = x.div(x.std([1, 2, 3], unbiased: false, keepdim: true).add(epsilon, Scalars.One));
        }

        if (FeaturewiseMean is { } mean)
        {
            x = x.sub(PerChannel(mean, nameof(FeaturewiseMean)));
        }

        if (FeaturewiseStd is { } std)
        {
            using var epsilon = Scalars.Create(Epsilon);
            x = x.div(PerChannel(std, nameof(FeaturewiseStd)).add(epsilon, Scalars.One));
        }

        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Returns a copy with other featurewise statistics (for example from <c>Augmenter.Fit</c>); every other setting is kept.</summary>
    /// <param name="featurewiseMean">The per-channel mean, or <see langword="null"/> for none.</param>
    /// <param name="featurewiseStd">The per-channel standard deviation, or <see langword="null"/> for none.</param>
    /// <returns>The copy.</returns>
    /// <exception cref="ArgumentException">A list does not have <see cref="Channels"/> values.</exception>
    public ImagePreprocessing With(IReadOnlyList<float>? featurewiseMean, IReadOnlyList<float>? featurewiseStd)
    {
        if (featurewiseMean is not null && featurewiseMean.Count != Channels)
        {
            throw new ArgumentException($"The mean has {featurewiseMean.Count} values but the colour mode gives {Channels} channels.", nameof(featurewiseMean));
        }

        if (featurewiseStd is not null && featurewiseStd.Count != Channels)
        {
            throw new ArgumentException($"The standard deviation has {featurewiseStd.Count} values but the colour mode gives {Channels} channels.", nameof(featurewiseStd));
        }

        return this with { FeaturewiseMean = featurewiseMean?.ToArray(), FeaturewiseStd = featurewiseStd?.ToArray() };
    }

    private Tensor PerChannel(IReadOnlyList<float> values, string name)
    {
        if (values.Count != Channels)
        {
            throw new InvalidOperationException($"{name} has {values.Count} values but the colour mode gives {Channels} channels.");
        }

        return tensor(values.ToArray()).reshape(1, Channels, 1, 1);
    }
}
