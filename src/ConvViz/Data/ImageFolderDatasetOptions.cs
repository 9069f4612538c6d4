// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace ConvViz.Data;

/// <summary>
/// Options of <see cref="ImageFolderDataset"/>: Keras' <c>flow_images_from_directory</c> arguments plus the
/// generator's settings (augmentation in <see cref="Augmenter"/>, for example <c>ConvViz.Augmentation.Augmenter</c>, rescale and normalisation in <see cref="Preprocessing"/>).
/// </summary>
public sealed record ImageFolderDatasetOptions
{
    /// <summary>Gets the directory holding one sub-folder per class.</summary>
    /// <value>There is no default; the directory is required.</value>
    public required string Directory { get; init { ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(Directory)); field = value; } }

    /// <summary>
    /// Gets the deterministic preprocessing: target size (Keras <c>target_size</c>), colour mode, interpolation, rescale and
    /// normalisation. It travels with the dataset (<see cref="IBatchSource.Preprocessing"/>) so prediction uses the same.
    /// </summary>
    /// <value>The default value is 256 × 256 RGB, nearest-neighbour resize, no rescale, as Keras.</value>
    public ImagePreprocessing Preprocessing { get; init { ArgumentNullException.ThrowIfNull(value, nameof(Preprocessing)); field = value; } } = new();

    /// <summary>Gets the label layout.</summary>
    /// <value>The default value is <see cref="ClassMode.Categorical"/>.</value>
    public ClassMode ClassMode { get; init; } = ClassMode.Categorical;

    /// <summary>Gets the batch size; the last batch of a pass may be smaller.</summary>
    /// <value>The default value is 32.</value>
    public int BatchSize { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(BatchSize)); field = value; } } = 32;

    /// <summary>Gets a value indicating whether each pass visits the images in a new seeded order.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// Gets the seed of shuffling and augmentation, or <see langword="null"/> to draw one from the global seed of
    /// <c>ConvVizRuntime.Seed</c> or, when none is set, pick one at random (see <see cref="ImageFolderDataset.Seed"/>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? Seed { get; init; }

    /// <summary>Gets the class sub-folders to use, in label order, or <see langword="null"/> for every sub-folder in ordinal (code-point) order.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>
    /// Gets a value indicating whether symbolic links to directories inside class folders are followed. Link cycles are
    /// detected and each real directory is read once. Links to files are always read, as in Keras.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool FollowLinks { get; init; }

    /// <summary>Gets the fraction of each class reserved for validation (0 for none; otherwise strictly between 0 and 1).</summary>
    /// <value>The default value is 0.</value>
    public double ValidationSplit
    {
        get;
        init
        {
            if (!(value >= 0 && value < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(ValidationSplit), value, "The validation split must be at least 0 and below 1.");
            }

            field = value;
        }
    }

    /// <summary>Gets which part of the split this dataset reads; needs <see cref="ValidationSplit"/> &gt; 0 unless <see cref="DatasetSubset.All"/>.</summary>
    /// <value>The default value is <see cref="DatasetSubset.All"/>.</value>
    public DatasetSubset Subset { get; init; }

    /// <summary>Gets the random augmentation, or <see langword="null"/> for none.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IImageAugmenter? Augmenter { get; init; }

    /// <summary>
    /// Gets a value indicating whether the validation subset is augmented too. Keras does (both subsets share one
    /// generator); set it to <see langword="false"/> for clean validation images.
    /// </summary>
    /// <value>The default value is <see langword="true"/>, as Keras.</value>
    public bool AugmentValidation { get; init; } = true;

    /// <summary>
    /// Gets an optional function applied to each augmented batch [B, C, H, W] (pixel units) before standardisation
    /// (Keras <c>preprocessing_function</c>). It must return a new tensor of the same shape and runs on a worker thread.
    /// It is not part of <see cref="Preprocessing"/>, so apply it yourself at prediction time.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Func<Tensor, Tensor>? PreprocessingFunction { get; init; }

    /// <summary>
    /// Gets Keras' <c>save_to_dir</c>: a directory (created if missing) that receives every image the dataset yields,
    /// after augmentation and standardisation, min–max scaled to 0–255 as Keras' <c>array_to_img(scale = TRUE)</c>,
    /// named as Keras names them: <c>{SavePrefix}_{index}_{hash}.{png|jpeg}</c>, where index is the file's position in
    /// <see cref="ImageFolderDataset.FilePaths"/> and hash a number below 10⁷ drawn from the seed, the pass and the
    /// index (so a seeded run writes the same names again, and overwrites them). <see langword="null"/> writes nothing.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? SaveToDirectory { get; init { if (value is not null) { ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(SaveToDirectory)); } field = value; } }

    /// <summary>Gets Keras' <c>save_prefix</c>, the start of each saved file name.</summary>
    /// <value>The default value is the empty string, as in Keras.</value>
    /// <exception cref="ArgumentException">The prefix contains a character not allowed in file names, or "..".</exception>
    public string SavePrefix
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(SavePrefix));
            if (value.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || value.Contains("..", StringComparison.Ordinal))
            {
                throw new ArgumentException($"ImageFolderDatasetOptions.SavePrefix '{value}' contains characters that are not allowed in file names (such as '/'); use letters, digits, '-' or '_'.", nameof(SavePrefix));
            }

            field = value;
        }
    } = string.Empty;

    /// <summary>Gets Keras' <c>save_format</c>.</summary>
    /// <value>The default value is <see cref="SavedImageFormat.Png"/>.</value>
    public SavedImageFormat SaveFormat { get; init; } = SavedImageFormat.Png;

    /// <summary>Gets what happens with files that cannot be used.</summary>
    /// <value>The default value is <see cref="BadFilePolicy.Throw"/>.</value>
    public BadFilePolicy BadFilePolicy { get; init; }

    /// <summary>
    /// Gets a value indicating whether every file's header and structure are checked when the dataset is created, so
    /// bad files are reported (or skipped) before training and the image count is exact from the start.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ValidateFilesOnOpen { get; init; }

    /// <summary>Gets the decoding formats and limits.</summary>
    /// <value>The default value is <see cref="ImageDecodingOptions.Default"/> (JPEG, PNG, BMP and netpbm; TIFF, GIF and WebP are opt-in).</value>
    public ImageDecodingOptions Decoding { get; init { ArgumentNullException.ThrowIfNull(value, nameof(Decoding)); field = value; } } = ImageDecodingOptions.Default;

    /// <summary>
    /// Gets the number of background workers that decode, resize, augment and assemble batches while the caller
    /// trains, or 0 to build each batch when it is asked for, spread over all cores, while the caller waits.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: 0 when no CUDA device is available, otherwise 1. On the CPU, training
    /// already keeps every core busy; a background worker would preempt libtorch's threads in the middle of their
    /// parallel loops, where the others then wait for it, so data work and training cost less taking turns (measured in
    /// docs/performance.md). On a GPU, a background worker prepares the next batch while the device computes.
    /// </value>
    public int? WorkerCount
    {
        get;
        init
        {
            if (value is { } workers)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(workers, nameof(WorkerCount));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, 64, nameof(WorkerCount));
            }

            field = value;
        }
    }

    /// <summary>Gets how many finished batches may wait in the prefetch queue.</summary>
    /// <value>The default value is 2.</value>
    public int PrefetchBatches { get; init { ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(PrefetchBatches)); field = value; } } = 2;

    /// <summary>
    /// Gets a value indicating whether decoded, resized images are kept in memory after the first pass, up to
    /// <see cref="CacheMemoryLimit"/>; augmentation still runs every pass, so every epoch sees new random transforms of
    /// the same pixels. Keras decodes every file every epoch; the pixels that reach the network are the same either way.
    /// </summary>
    /// <value>The default value is <see langword="true"/>: decoding is the largest cost of the data pipeline, and
    /// without the cache it slows training on few cores (see docs/performance.md).</value>
    public bool CacheImages { get; init; } = true;

    /// <summary>
    /// Gets the most memory, in bytes, that this dataset's decoded-image cache may hold. Each image takes
    /// height × width × channels bytes (67,500 at 150×150 RGB); images beyond the limit are decoded every pass, and
    /// the logger says once when the cache is full.
    /// </summary>
    /// <value>The default value is 1 GiB (about 15,900 images at 150×150 RGB, 7,100 at 224×224 RGB).</value>
    public long CacheMemoryLimit { get; init { ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(CacheMemoryLimit)); field = value; } } = 1L << 30;

    /// <summary>Gets the logger for the "Found N images belonging to K classes." line and warnings.</summary>
    /// <value>The default value is <see cref="NullLogger.Instance"/>.</value>
    public ILogger Logger { get; init { ArgumentNullException.ThrowIfNull(value, nameof(Logger)); field = value; } } = NullLogger.Instance;
}
