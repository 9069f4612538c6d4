// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using ConvViz.Data;
using ConvViz.Imaging;
using static TorchSharp.torch;

namespace ConvViz.Augmentation;

/// <summary>
/// Keras' <c>image_data_generator</c> random augmentation of a batch, in Keras' order:
/// affine warp (rotation, shift, shear, zoom composed into one matrix) → channel shift → horizontal flip →
/// vertical flip → brightness. Images are float32 [B, C, H, W] in pixel units (0–255), before rescaling.
/// </summary>
/// <remarks>
/// Draws are deterministic for a given <see cref="Random"/> (or seed), and the drawn
/// <see cref="AugmentationParameters"/> can be inspected before they are applied. The type is immutable and thread-safe.
/// </remarks>
public sealed class Augmenter : IImageAugmenter, IPixelAugmenter
{
    /// <summary>Creates an augmenter.</summary>
    /// <param name="options">The random transforms.</param>
    /// <exception cref="ArgumentException">A shift is set both as a range and as choices.</exception>
    public Augmenter(AugmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.WidthShiftChoices is not null && options.WidthShiftRange != 0)
        {
            throw new ArgumentException("AugmentationOptions sets both WidthShiftRange and WidthShiftChoices; Keras' width_shift_range is either a number or a list. Set only one.", nameof(options));
        }

        if (options.HeightShiftChoices is not null && options.HeightShiftRange != 0)
        {
            throw new ArgumentException("AugmentationOptions sets both HeightShiftRange and HeightShiftChoices; Keras' height_shift_range is either a number or a list. Set only one.", nameof(options));
        }

        Options = options;
    }

    /// <summary>Gets the random transforms.</summary>
    public AugmentationOptions Options { get; }

    /// <inheritdoc/>
    public bool IsIdentity => Options.IsIdentity;

    /// <inheritdoc/>
    bool IPixelAugmenter.CanAugmentPixels => Options.ChannelShiftRange == 0 && Options.BrightnessRange is null;

    /// <inheritdoc/>
    void IPixelAugmenter.AugmentPixels(ReadOnlySpan<byte> pixels, int channels, int height, int width, int seed, float scale, Span<float> destination)
    {
        // The same draw as Augment(images, seeds) makes for this image, then the same warp and flips as Apply.
        var p = Draw(height, width, new Random(seed));
        var transform = new AffineSampler.ImageTransform(p.HasWarp ? p.ToInverseMatrix(height, width) : null, p.FlipHorizontal, p.FlipVertical);
        AffineSampler.Apply(pixels, channels, height, width, interleaved: true, destination, transform, Options.FillMode, Options.FillValue, scale);
    }

    /// <summary>Draws the transform for one image of the given size, in Keras' draw order.</summary>
    /// <param name="height">The image height (scales fractional vertical shifts).</param>
    /// <param name="width">The image width (scales fractional horizontal shifts).</param>
    /// <param name="random">The random source.</param>
    /// <returns>The parameters.</returns>
    public AugmentationParameters Draw(int height, int width, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentNullException.ThrowIfNull(random);
        var o = Options;
        var theta = o.RotationRange > 0 ? Uniform(random, -o.RotationRange, o.RotationRange) : 0;
        var tx = o.WidthShiftChoices is { } wc ? Shift(random, wc, width) : Shift(random, o.WidthShiftRange, width);
        var ty = o.HeightShiftChoices is { } hc ? Shift(random, hc, height) : Shift(random, o.HeightShiftRange, height);
        var shear = o.ShearRange > 0 ? Uniform(random, -o.ShearRange, o.ShearRange) : 0;
        double zx = 1, zy = 1;
        if (o.ZoomRange.Lower != 1 || o.ZoomRange.Upper != 1)
        {
            zx = Uniform(random, o.ZoomRange.Lower, o.ZoomRange.Upper);
            zy = Uniform(random, o.ZoomRange.Lower, o.ZoomRange.Upper);
        }

        var flipH = o.HorizontalFlip && random.NextDouble() < 0.5;
        var flipV = o.VerticalFlip && random.NextDouble() < 0.5;
        double? channelShift = o.ChannelShiftRange > 0 ? Uniform(random, -o.ChannelShiftRange, o.ChannelShiftRange) : null;
        double? brightness = o.BrightnessRange is { } b ? Uniform(random, b.Lower, b.Upper) : null;
        return new AugmentationParameters
        {
            Rotation = theta,
            ShiftX = tx,
            ShiftY = ty,
            Shear = shear,
            ZoomX = zx,
            ZoomY = zy,
            FlipHorizontal = flipH,
            FlipVertical = flipV,
            ChannelShift = channelShift,
            Brightness = brightness,
        };
    }

    /// <summary>Draws one transform per image from a seed.</summary>
    /// <param name="count">The number of images.</param>
    /// <param name="height">The image height.</param>
    /// <param name="width">The image width.</param>
    /// <param name="seed">The seed; the same seed gives the same parameters.</param>
    /// <returns>The parameters, one per image.</returns>
    public IReadOnlyList<AugmentationParameters> Draw(int count, int height, int width, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var result = new AugmentationParameters[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = Draw(height, width, random);
        }

        return result;
    }

    /// <summary>Applies drawn transforms to a batch in Keras' order, as one batched warp.</summary>
    /// <param name="images">Float32 [B, C, H, W] in pixel units; not disposed.</param>
    /// <param name="parameters">One transform per image.</param>
    /// <returns>A new float32 tensor [B, C, H, W]; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The batch is not 4-D or the parameter count differs from B.</exception>
    public Tensor Apply(Tensor images, IReadOnlyList<AugmentationParameters> parameters)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(parameters);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"Images must be [B, C, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        var batch = (int)images.shape[0];
        if (parameters.Count != batch)
        {
            throw new ArgumentException($"There are {batch} images but {parameters.Count} augmentation parameter sets.", nameof(parameters));
        }

        NativeBackend.EnsureLoaded();
        using var scope = NewDisposeScope();
        var height = (int)images.shape[2];
        var width = (int)images.shape[3];
        Tensor x;
        if (parameters.Any(p => p.HasWarp || p.FlipHorizontal || p.FlipVertical))
        {
            // Warp and flips in one managed pass. Keras shifts channels between the two; a channel shift clips to the
            // image's own minimum and maximum, which no permutation of pixels changes, so the order makes no difference.
            var transforms = parameters.Select(p => new AffineSampler.ImageTransform(p.HasWarp ? p.ToInverseMatrix(height, width) : null, p.FlipHorizontal, p.FlipVertical)).ToArray();
            x = AffineSampler.Transform(images.to_type(ScalarType.Float32), transforms, Options.FillMode, Options.FillValue);
        }
        else
        {
            x = images.to_type(ScalarType.Float32, copy: true);
        }

        if (parameters.Any(p => p.ChannelShift is not null))
        {
            var shift = tensor(parameters.Select(p => (float)(p.ChannelShift ?? 0)).ToArray()).reshape(batch, 1, 1, 1);
            var min = x.amin([1, 2, 3], keepdim: true);
            var max = x.amax([1, 2, 3], keepdim: true);
            var shifted = minimum(maximum(x.add(shift, Scalars.One), min), max);
            var mask = tensor(parameters.Select(p => p.ChannelShift is not null).ToArray()).reshape(batch, 1, 1, 1);
            x = shifted.where(mask, x);
        }

        if (parameters.Any(p => p.Brightness is not null))
        {
            x = ApplyBrightness(x, parameters);
        }

        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Draws transforms from <paramref name="seed"/> and applies them.</summary>
    /// <param name="images">Float32 [B, C, H, W] in pixel units; not disposed.</param>
    /// <param name="seed">The seed of the draws.</param>
    /// <returns>A new float32 tensor [B, C, H, W]; the caller owns it.</returns>
    public Tensor Augment(Tensor images, int seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"Images must be [B, C, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        return Apply(images, Draw((int)images.shape[0], (int)images.shape[2], (int)images.shape[3], seed));
    }

    /// <summary>Draws each image's transform from its own seed (<c>new Random(seed)</c>) and applies them.</summary>
    /// <param name="images">Float32 [B, C, H, W] in pixel units; not disposed.</param>
    /// <param name="seeds">One seed per image.</param>
    /// <returns>A new float32 tensor [B, C, H, W]; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The batch is not 4-D or the seed count differs from B.</exception>
    public Tensor Augment(Tensor images, IReadOnlyList<int> seeds)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(seeds);
        if (images.dim() != 4)
        {
            throw new ArgumentException($"Images must be [B, C, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        var height = (int)images.shape[2];
        var width = (int)images.shape[3];
        return Apply(images, seeds.Select(s => Draw(height, width, new Random(s))).ToArray());
    }

    /// <summary>
    /// Computes featurewise statistics like Keras' <c>fit()</c>: images are rescaled, optionally augmented for
    /// <paramref name="rounds"/> rounds, then the per-channel mean over (N, H, W) and the population standard
    /// deviation of the centred data are stored in a copy of <paramref name="preprocessing"/>. As in Keras, asking for
    /// the standard deviation implies centring.
    /// </summary>
    /// <param name="preprocessing">The preprocessing to extend; its rescale factor is applied first.</param>
    /// <param name="images">Sample images, float32 [N, C, H, W] in pixel units (0–255); not disposed.</param>
    /// <param name="center">Whether to store the featurewise mean.</param>
    /// <param name="stdNormalization">Whether to store the featurewise standard deviation.</param>
    /// <param name="augmenter">An augmenter to apply before measuring, or <see langword="null"/> (Keras <c>augment=FALSE</c>).</param>
    /// <param name="rounds">How many augmented copies of the samples to measure.</param>
    /// <param name="seed">
    /// The seed of the augmentation draws, or <see langword="null"/> for the next one drawn from the global seed of
    /// <c>ConvVizRuntime.Seed</c> (0 when none is set).
    /// </param>
    /// <returns>A copy of <paramref name="preprocessing"/> with <see cref="ImagePreprocessing.FeaturewiseMean"/> / <see cref="ImagePreprocessing.FeaturewiseStd"/> set.</returns>
    /// <exception cref="ArgumentException">The images do not match the preprocessing's channel count.</exception>
    public static ImagePreprocessing Fit(ImagePreprocessing preprocessing, Tensor images, bool center, bool stdNormalization, Augmenter? augmenter = null, int rounds = 1, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rounds);
        if (images.dim() != 4 || images.shape[1] != preprocessing.Channels || images.shape[0] == 0)
        {
            throw new ArgumentException($"Expected sample images [N, {preprocessing.Channels}, H, W] with N ≥ 1; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        NativeBackend.EnsureLoaded();
        using var scope = NewDisposeScope();
        var x = images.to_type(ScalarType.Float64, copy: true);
        if (preprocessing.Rescale is { } rescale)
        {
            using var factor = Scalars.Create(rescale);
            x = x.mul(factor);
        }

        if (augmenter is not null)
        {
            var copies = new List<Tensor>();
            var first = seed ?? SeedStore.Next(SeedComponent.AugmenterFit) ?? 0;
            for (var r = 0; r < rounds; r++)
            {
                copies.Add(augmenter.Augment(x.to_type(ScalarType.Float32), unchecked(first + r)).to_type(ScalarType.Float64));
            }

            x = cat(copies, 0);
        }

        center |= stdNormalization;
        float[]? mean = null;
        float[]? std = null;
        if (center)
        {
            var m = x.mean([0, 2, 3], keepdim: true);
            mean = m.flatten().to_type(ScalarType.Float32).data<float>().ToArray();
            x = x.sub(m);
        }

        if (stdNormalization)
        {
            std = x.std([0, 2, 3], unbiased: false).to_type(ScalarType.Float32).data<float>().ToArray();
        }

        return preprocessing.With(featurewiseMean: mean ?? preprocessing.FeaturewiseMean, featurewiseStd: std ?? preprocessing.FeaturewiseStd);
    }

    /// <summary>
    /// Augments images and saves them as PNG files, like Keras' <c>save_to_dir</c>: each image is min–max scaled to
    /// 0–255 and written as <c>{prefix}_{index}_{seed}.png</c>. Existing files are never overwritten.
    /// </summary>
    /// <param name="images">Float32 [B, C, H, W] in pixel units (C = 1, 3 or 4); not disposed.</param>
    /// <param name="directory">The output directory; created if missing.</param>
    /// <param name="seed">The seed of the draws.</param>
    /// <param name="prefix">The file-name prefix.</param>
    /// <returns>The written file paths.</returns>
    /// <exception cref="IOException">A file with the same name already exists.</exception>
    public IReadOnlyList<string> SavePreview(Tensor images, string directory, int seed, string prefix = "aug")
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || prefix.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The prefix '{prefix}' contains characters that are not allowed in file names.", nameof(prefix));
        }

        using var scope = NewDisposeScope();
        var augmented = Augment(images, seed);
        return WriteImages(augmented, directory, prefix, seed);
    }

    internal static IReadOnlyList<string> WriteImages(Tensor images, string directory, string prefix, int seed)
    {
        var names = Enumerable.Range(0, (int)images.shape[0]).Select(i => string.Create(CultureInfo.InvariantCulture, $"{prefix}_{i}_{seed}.png")).ToArray();
        return TensorImages.WriteFiles(images, directory, names, SavedImageFormat.Png, overwrite: false);
    }

    private static double Uniform(Random random, double low, double high) => low + (random.NextDouble() * (high - low));

    private static double Shift(Random random, double range, int size)
    {
        if (range == 0)
        {
            return 0;
        }

        var shift = Uniform(random, -range, range);
        return range < 1 ? shift * size : shift;
    }

    /// <summary>Keras' draw for an integer or list range: a uniform pick, a random sign, scaled by the size when every value is below 1.</summary>
    private static double Shift(Random random, IReadOnlyList<double> choices, int size)
    {
        var shift = choices[random.Next(choices.Count)] * (random.Next(2) == 0 ? -1 : 1);
        return choices.Max() < 1 ? shift * size : shift;
    }

    /// <summary>Pillow's <c>ImageEnhance.Brightness</c> through an 8-bit image, as Keras' <c>apply_brightness_shift</c>.</summary>
    private static Tensor ApplyBrightness(Tensor x, IReadOnlyList<AugmentationParameters> parameters)
    {
        var batch = parameters.Count;
        var factor = tensor(parameters.Select(p => (float)(p.Brightness ?? 1)).ToArray()).reshape(batch, 1, 1, 1);
        var mask = tensor(parameters.Select(p => p.Brightness is not null).ToArray()).reshape(batch, 1, 1, 1);
        var min = x.amin([1, 2, 3], keepdim: true);
        var max = x.amax([1, 2, 3], keepdim: true);
        var localScale = min.lt(Scalars.Zero).logical_or(max.gt(Scalars.ByteMax));

        // array_to_img(scale=True) maps [min, max] to [0, 255]; otherwise the values are used as they are.
        var range = max.sub(min);
        var scaled = x.sub(min).div(range.where(range.ne(Scalars.Zero), tensor(1f))).mul(Scalars.ByteMax);
        var eight = scaled.where(localScale, x).trunc().clamp(Scalars.Zero, Scalars.ByteMax);

        // Image.blend(black, image, u): trunc(u · v), clipped to 0–255.
        var enhanced = eight.mul(factor).trunc().clamp(Scalars.Zero, Scalars.ByteMax);
        var restored = enhanced.div(Scalars.ByteMax).mul(range).add(min, Scalars.One).where(localScale, enhanced);
        return restored.where(mask, x);
    }
}
