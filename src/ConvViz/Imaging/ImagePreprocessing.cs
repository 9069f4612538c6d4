// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
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
    /// Gets the factor pixel values (0–255) are multiplied by, such as <c>1.0 / 255</c>; <see langword="null"/> for none.
    /// </summary>
    /// <remarks>
    /// 0 is refused: R's <c>rescale = 1/255</c> typed in C# as <c>Rescale = 1/255</c> is integer division, which is 0,
    /// and would train on unscaled 0–255 pixels without a word. This departs from Keras, where <c>rescale = 0</c> means
    /// no rescaling. Model files written before this check that stored 0 load with <see langword="null"/>.
    /// </remarks>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is 0, NaN or infinite.</exception>
    public double? Rescale
    {
        get;
        init
        {
            if (value is { } v && !double.IsFinite(v))
            {
                throw new ArgumentOutOfRangeException(nameof(Rescale), v, "ImagePreprocessing.Rescale must be a finite factor such as 1.0 / 255; use null for no rescaling.");
            }

            if (value == 0)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(Rescale),
                    value,
                    "ImagePreprocessing.Rescale is 0, which would multiply every pixel by zero. If you wrote Rescale = 1/255: that is integer division, and 1/255 is 0 in C#; write 1.0 / 255. " +
                    "For no rescaling use null (the default); unlike Keras, ConvViz does not read 0 as 'no rescaling'.");
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

        if (IsRescaleOnly && pixels.device_type == TorchSharp.DeviceType.CPU && pixels.dtype == ScalarType.Float32)
        {
            // The data pipeline's common case (rescale only, on the CPU): managed, so that a data worker starts no
            // libtorch threads next to training. libtorch multiplies a float32 tensor by a scalar in float32, so
            // x · (float)rescale gives the same bits.
            var values = TensorData.ToArray(pixels);
            if (Rescale is { } r)
            {
                Scale(values, (float)r);
            }

            return tensor(values, pixels.shape);
        }

        using var scope = NewDisposeScope();
        // One new tensor, then in-place steps: each step is one pass over the batch.
        Tensor x;
        if (Rescale is { } rescale)
        {
            using var factor = Scalars.Create(rescale);
            x = pixels.to_type(ScalarType.Float32).mul(factor);
        }
        else
        {
            x = pixels.to_type(ScalarType.Float32, copy: true);
        }

        if (SamplewiseCenter || SamplewiseStdNormalization)
        {
            x.sub_(x.mean([1, 2, 3], keepdim: true));
        }

        if (SamplewiseStdNormalization)
        {
            // Population standard deviation, as numpy's np.std in Keras.
            using var epsilon = Scalars.Create(Epsilon);
            x.div_(x.std([1, 2, 3], unbiased: false, keepdim: true).add(epsilon, Scalars.One));
        }

        if (FeaturewiseMean is { } mean)
        {
            x.sub_(PerChannel(mean, nameof(FeaturewiseMean)));
        }

        if (FeaturewiseStd is { } std)
        {
            using var epsilon = Scalars.Create(Epsilon);
            x.div_(PerChannel(std, nameof(FeaturewiseStd)).add(epsilon, Scalars.One));
        }

        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Gets a value indicating whether standardising only multiplies by <see cref="Rescale"/> (or does nothing): no
    /// samplewise or featurewise step. Then <c>x · (float)Rescale</c> per value, in float32, is the whole of it.
    /// </summary>
    internal bool IsRescaleOnly => !SamplewiseCenter && !SamplewiseStdNormalization && FeaturewiseMean is null && FeaturewiseStd is null;

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per batch: too rarely for tiering to optimise it in time
    private static void Scale(Span<float> values, float factor)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= factor;
        }
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
