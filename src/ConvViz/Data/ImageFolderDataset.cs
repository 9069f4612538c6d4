// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using ConvViz.Imaging;
using static TorchSharp.torch;

namespace ConvViz.Data;

/// <summary>
/// Batches from a directory with one sub-folder per class: Keras' <c>flow_images_from_directory</c>. Files are found
/// recursively and sorted, decoded safely, resized, augmented and standardised (over all cores when a batch is asked
/// for, or on background workers with a bounded prefetch queue: <see cref="ImageFolderDatasetOptions.WorkerCount"/>),
/// and yielded as float32 [B, C, H, W] with labels in the layout of <see cref="ClassMode"/>.
/// </summary>
/// <remarks>
/// Enumerate <see cref="GetBatches"/> from one thread at a time. Each yielded <see cref="Batch"/> belongs to no dispose
/// scope (not even one open around the enumeration) and is owned by the caller, who must dispose it.
/// </remarks>
public sealed class ImageFolderDataset : IBatchSource, IDisposable
{
    private readonly ImageFolderDatasetOptions _options;
    private readonly string[] _paths;
    private readonly int[] _labels;
    private readonly double[]? _weights;
    private static readonly Lazy<int> s_defaultWorkers = new(() =>
    {
        NativeBackend.EnsureLoaded();
        return cuda.is_available() ? 1 : 0;
    });

    private readonly ConcurrentDictionary<int, SkippedImageFile> _skipped = new();
    private readonly byte[]?[]? _cache;
    private long _cachedBytes;
    private int _cachedCount;
    private int _cacheFullLogged;
    private readonly bool _augment;
    private readonly IPixelAugmenter? _pixelAugmenter;
    private readonly bool _pixelPath;
    private volatile bool _disposed;

    /// <summary>Scans the directory and prepares the dataset; logs "Found N images belonging to K classes.".</summary>
    /// <param name="options">The options.</param>
    /// <exception cref="DirectoryNotFoundException">The directory, or a class listed in <see cref="ImageFolderDatasetOptions.Classes"/>, does not exist.</exception>
    /// <exception cref="InvalidDataException">There are no class folders or no images.</exception>
    /// <exception cref="ArgumentException">The options contradict each other (subset without split, binary without two classes).</exception>
    /// <exception cref="InvalidImageFileException">With <see cref="ImageFolderDatasetOptions.ValidateFilesOnOpen"/> and <see cref="BadFilePolicy.Throw"/>: a file cannot be used.</exception>
    public ImageFolderDataset(ImageFolderDatasetOptions options)
        : this(options, ScanFolder(options))
    {
    }

    private ImageFolderDataset(ImageFolderDatasetOptions options, ScannedFiles files)
    {
        _options = options;
        var (paths, labels, classes, directory, extensions, weights) = files;
        ClassNames = classes.AsReadOnly();
        ClassIndices = classes.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal).AsReadOnly();
        _paths = [.. paths];
        _labels = [.. labels];
        _weights = weights?.ToArray();
        if (options.ValidateFilesOnOpen)
        {
            ValidateAll();
        }

        FoundMessage = string.Create(CultureInfo.InvariantCulture, $"Found {SampleCount} images belonging to {classes.Count} classes.");
        Log.FoundImages(options.Logger, SampleCount, classes.Count);
        if (SampleCount == 0)
        {
            throw new InvalidDataException($"Found no usable images in the class folders of '{directory}' (subset {options.Subset}). Supported extensions: {string.Join(", ", extensions.Order(StringComparer.Ordinal))}.");
        }

        Seed = options.Seed ?? SeedStore.Next(SeedComponent.ImageFolderDataset) ?? Random.Shared.Next();
        _augment = options.Augmenter is not null && !options.Augmenter.IsIdentity && (options.Subset != DatasetSubset.Validation || options.AugmentValidation);
        if (options.PreprocessingFunction is null && options.Preprocessing.IsRescaleOnly)
        {
            // Nothing runs between the augmentation and the rescale: one managed pass per image (FromPixels).
            _pixelAugmenter = _augment ? options.Augmenter as IPixelAugmenter : null;
            _pixelPath = !_augment || _pixelAugmenter is { CanAugmentPixels: true };
        }
        if (options.CacheImages && options.CacheMemoryLimit > 0)
        {
            _cache = new byte[_paths.Length][];
        }
    }

    /// <summary>
    /// Creates a dataset from (file, class name) pairs: Keras' <c>flow_images_from_dataframe</c> with a <c>y_col</c> of
    /// class names. Relative paths are resolved against <see cref="ImageFolderDatasetOptions.Directory"/> (Keras'
    /// <c>directory</c>), absolute paths are used as they are. Classes are <see cref="ImageFolderDatasetOptions.Classes"/>,
    /// or the distinct names in ordinal order (as Keras sorts them); pairs whose class is not listed are left out, as in
    /// Keras. Preprocessing, augmentation, prefetch, shuffling and the bad-file policy are those of a folder dataset;
    /// <see cref="ImageFolderDatasetOptions.ValidationSplit"/> takes the first rows (in the given order) as the
    /// validation subset, as Keras' data-frame iterator does.
    /// </summary>
    /// <param name="files">The files and their class names, in order.</param>
    /// <param name="options">The options; <see cref="ImageFolderDatasetOptions.FollowLinks"/> does not apply.</param>
    /// <returns>The dataset; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">A path or class name is empty, or the options contradict each other.</exception>
    /// <exception cref="InvalidDataException">No file is left.</exception>
    /// <exception cref="InvalidImageFileException">With <see cref="ImageFolderDatasetOptions.ValidateFilesOnOpen"/> and <see cref="BadFilePolicy.Throw"/>: a file cannot be used.</exception>
    public static ImageFolderDataset FromFiles(IEnumerable<(string Path, string ClassName)> files, ImageFolderDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        return FromNamedFiles(files.ToList(), null, options);
    }

    /// <summary>
    /// Creates a dataset from (file, class index) pairs: as <see cref="FromFiles(IEnumerable{ValueTuple{string, string}}, ImageFolderDatasetOptions)"/>
    /// with numeric labels. The classes are <see cref="ImageFolderDatasetOptions.Classes"/> (index i names class i), or
    /// "0" … "K − 1" for the largest index K − 1.
    /// </summary>
    /// <param name="files">The files and their class indices, in order.</param>
    /// <param name="options">The options.</param>
    /// <returns>The dataset; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">A path is empty, an index is negative or beyond <see cref="ImageFolderDatasetOptions.Classes"/>, or the options contradict each other.</exception>
    /// <exception cref="InvalidDataException">No file is given.</exception>
    /// <exception cref="InvalidImageFileException">With <see cref="ImageFolderDatasetOptions.ValidateFilesOnOpen"/> and <see cref="BadFilePolicy.Throw"/>: a file cannot be used.</exception>
    public static ImageFolderDataset FromFiles(IEnumerable<(string Path, int ClassIndex)> files, ImageFolderDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        var list = files.ToList();
        var count = options.Classes?.Count ?? (list.Count == 0 ? 0 : list.Max(f => f.ClassIndex) + 1);
        if (list.FindIndex(f => f.ClassIndex < 0 || f.ClassIndex >= count) is var bad and >= 0)
        {
            throw new ArgumentException($"Entry {bad} ('{list[bad].Path}') has class index {list[bad].ClassIndex}, outside 0 … {count - 1} (ImageFolderDatasetOptions.Classes has {count} names).", nameof(files));
        }

        var classes = options.Classes?.ToList() ?? Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        IndexClasses(classes, nameof(options));
        return new ImageFolderDataset(options, FromList(list, classes, options, nameof(files)));
    }

    /// <summary>
    /// Creates a dataset from a CSV file with a header row (Keras' <c>flow_images_from_dataframe</c> on
    /// <c>read.csv(...)</c>): one column holds the image paths, another the class names (numbers are class names
    /// too, sorted as text unless <see cref="ImageFolderDatasetOptions.Classes"/> gives the order). Fields may be quoted
    /// with <c>"</c> (a doubled <c>""</c> inside quotes is a quote). See <see cref="FromFiles(IEnumerable{ValueTuple{string, string}}, ImageFolderDatasetOptions)"/>.
    /// </summary>
    /// <param name="csvPath">The CSV file (UTF-8).</param>
    /// <param name="pathColumn">The header of the path column (Keras' <c>x_col</c>, for example "filename").</param>
    /// <param name="labelColumn">The header of the class column (Keras' <c>y_col</c>, for example "class").</param>
    /// <param name="options">The options; relative paths are resolved against <see cref="ImageFolderDatasetOptions.Directory"/>.</param>
    /// <param name="weightColumn">
    /// The header of a sample-weight column (Keras' <c>weight_col</c>), or <see langword="null"/> for none. Each
    /// batch then carries the weights of its images in <see cref="Batch.SampleWeights"/>, and <c>Fit</c> and
    /// <c>Evaluate</c> multiply each image's loss by its weight (and by its class weight).
    /// </param>
    /// <returns>The dataset; the caller disposes it.</returns>
    /// <exception cref="FileNotFoundException">The CSV file does not exist.</exception>
    /// <exception cref="InvalidDataException">The CSV file has no header, lacks a column, a row has too few fields, or a weight is not a finite, non-negative number.</exception>
    /// <exception cref="ArgumentException">See <see cref="FromFiles(IEnumerable{ValueTuple{string, string}}, ImageFolderDatasetOptions)"/>.</exception>
    public static ImageFolderDataset FromCsv(string csvPath, string pathColumn, string labelColumn, ImageFolderDatasetOptions options, string? weightColumn = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(csvPath);
        ArgumentException.ThrowIfNullOrEmpty(pathColumn);
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(csvPath))
        {
            throw new FileNotFoundException($"The CSV file '{csvPath}' does not exist.", csvPath);
        }

        var rows = CsvTable.Read(csvPath);
        if (rows.Count == 0)
        {
            throw new InvalidDataException($"The CSV file '{csvPath}' is empty; it needs a header row with the columns '{pathColumn}' and '{labelColumn}'.");
        }

        var header = rows[0];
        int Column(string name) => header.IndexOf(name) is var i and >= 0
            ? i
            : throw new InvalidDataException($"The CSV file '{csvPath}' has no column '{name}'; its header is: {string.Join(", ", header)}.");
        var pathIndex = Column(pathColumn);
        var labelIndex = Column(labelColumn);
        var weightIndex = weightColumn is null ? -1 : Column(weightColumn);
        var files = new List<(string Path, string ClassName)>();
        var weights = weightColumn is null ? null : new List<double>();
        for (var r = 1; r < rows.Count; r++)
        {
            var row = rows[r];
            if (row.Count == 1 && row[0].Length == 0)
            {
                continue; // a blank line
            }

            if (row.Count <= Math.Max(Math.Max(pathIndex, labelIndex), weightIndex))
            {
                throw new InvalidDataException($"Row {r + 1} of the CSV file '{csvPath}' has {row.Count} fields but the header has {header.Count}.");
            }

            files.Add((row[pathIndex], row[labelIndex]));
            if (weights is not null)
            {
                if (!double.TryParse(row[weightIndex], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var weight) || !double.IsFinite(weight) || weight < 0)
                {
                    throw new InvalidDataException($"Row {r + 1} of the CSV file '{csvPath}' has the weight '{row[weightIndex]}' in column '{weightColumn}'; sample weights are finite, non-negative numbers with a '.' decimal point (for example 0.5).");
                }

                weights.Add(weight);
            }
        }

        return FromNamedFiles(files, weights, options);
    }

    // (file, class name) pairs with optional sample weights (parallel to the pairs); pairs of unlisted classes are dropped.
    private static ImageFolderDataset FromNamedFiles(List<(string Path, string ClassName)> files, List<double>? weights, ImageFolderDatasetOptions options)
    {
        var list = files;
        if (list.FindIndex(f => string.IsNullOrEmpty(f.ClassName)) is var empty and >= 0)
        {
            throw new ArgumentException($"Entry {empty} ('{list[empty].Path}') has an empty class name.", nameof(files));
        }

        var classes = options.Classes?.ToList() ?? list.Select(f => f.ClassName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = IndexClasses(classes, nameof(options));
        var keep = list.ConvertAll(f => index.ContainsKey(f.ClassName));
        var kept = list.Where((_, i) => keep[i]).ToList();
        if (kept.Count < list.Count)
        {
            Log.DroppedUnlistedClasses(options.Logger, list.Count - kept.Count);
        }

        var keptWeights = weights?.Where((_, i) => keep[i]).ToList();
        return new ImageFolderDataset(options, FromList(kept.ConvertAll(f => (f.Path, index[f.ClassName])), classes, options, nameof(files), keptWeights));
    }

    private static Dictionary<string, int> IndexClasses(List<string> classes, string parameter)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in classes)
        {
            if (!index.TryAdd(name, index.Count))
            {
                throw new ArgumentException($"The class list contains '{name}' twice.", parameter);
            }
        }

        return index;
    }

    private static ScannedFiles FromList(List<(string Path, int ClassIndex)> files, List<string> classes, ImageFolderDatasetOptions options, string parameter, List<double>? weights = null)
    {
        if (options.Subset != DatasetSubset.All && options.ValidationSplit == 0)
        {
            throw new ArgumentException($"Subset {options.Subset} needs a ValidationSplit between 0 and 1.", nameof(options));
        }

        if (options.ClassMode == ClassMode.Binary && classes.Count != 2)
        {
            throw new ArgumentException($"ClassMode.Binary needs exactly two classes; the list has {classes.Count} ({string.Join(", ", classes)}). Use ClassMode.Categorical or ClassMode.Sparse.", nameof(options));
        }

        var directory = Path.GetFullPath(options.Directory);
        var paths = new List<string>(files.Count);
        var labels = new List<int>(files.Count);
        var subsetWeights = weights is null ? null : new List<double>(files.Count);
        var split = (int)(options.ValidationSplit * files.Count);
        var (start, stop) = options.Subset switch
        {
            DatasetSubset.Validation => (0, split),
            DatasetSubset.Training => (split, files.Count),
            _ => (0, files.Count),
        };
        for (var i = start; i < stop; i++)
        {
            if (string.IsNullOrEmpty(files[i].Path))
            {
                throw new ArgumentException($"Entry {i} has an empty path.", parameter);
            }

            paths.Add(Path.GetFullPath(files[i].Path, directory));
            labels.Add(files[i].ClassIndex);
            subsetWeights?.Add(weights![i]);
        }

        return new(paths, labels, classes, directory, ImageFolderScanner.Extensions(options.Decoding.Formats), subsetWeights);
    }

    private static ScannedFiles ScanFolder(ImageFolderDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Subset != DatasetSubset.All && options.ValidationSplit == 0)
        {
            throw new ArgumentException($"Subset {options.Subset} needs a ValidationSplit between 0 and 1.", nameof(options));
        }

        var directory = Path.GetFullPath(options.Directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The image directory '{directory}' does not exist. Point ImageFolderDatasetOptions.Directory at a folder with one sub-folder per class.");
        }

        var classes = options.Classes?.ToList() ?? ImageFolderScanner.ListClasses(directory);
        if (classes.Count == 0)
        {
            throw new InvalidDataException($"The image directory '{directory}' has no class sub-folders. Put the images of each class in its own sub-folder (for example {Path.Combine(directory, "cats")}).");
        }

        if (classes.Distinct(StringComparer.Ordinal).Count() != classes.Count)
        {
            throw new ArgumentException("The class list contains duplicates.", nameof(options));
        }

        if (options.ClassMode == ClassMode.Binary && classes.Count != 2)
        {
            throw new ArgumentException($"ClassMode.Binary needs exactly two classes; '{directory}' has {classes.Count} ({string.Join(", ", classes)}). Use ClassMode.Categorical or ClassMode.Sparse.", nameof(options));
        }

        var extensions = ImageFolderScanner.Extensions(options.Decoding.Formats);
        var ignored = new Dictionary<string, int>(StringComparer.Ordinal);
        var paths = new List<string>();
        var labels = new List<int>();
        for (var c = 0; c < classes.Count; c++)
        {
            var name = classes[c];
            if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
            {
                throw new ArgumentException($"'{name}' is not a valid class folder name.", nameof(options));
            }

            var classDirectory = Path.Combine(directory, name);
            if (!System.IO.Directory.Exists(classDirectory))
            {
                throw new DirectoryNotFoundException($"The class folder '{classDirectory}' does not exist (listed in ImageFolderDatasetOptions.Classes).");
            }

            var files = ImageFolderScanner.ListFiles(classDirectory, extensions, options.FollowLinks, ignored, options.Logger);
            var split = (int)(options.ValidationSplit * files.Count);
            var (start, stop) = options.Subset switch
            {
                DatasetSubset.Validation => (0, split),
                DatasetSubset.Training => (split, files.Count),
                _ => (0, files.Count),
            };
            if (files.Count == 0)
            {
                Log.EmptyClass(options.Logger, name, classDirectory);
            }

            for (var i = start; i < stop; i++)
            {
                paths.Add(files[i]);
                labels.Add(c);
            }
        }

        foreach (var (extension, count) in ignored)
        {
            Log.IgnoredDisabledFormat(options.Logger, count, extension);
        }

        return new(paths, labels, classes, directory, extensions);
    }

    /// <summary>Gets the number of images in one pass: files found minus files skipped so far (see <see cref="SkippedFiles"/>).</summary>
    public int SampleCount => _paths.Length - _skipped.Count;

    /// <inheritdoc/>
    public int BatchSize => _options.BatchSize;

    /// <inheritdoc/>
    public int BatchesPerEpoch => (SampleCount + BatchSize - 1) / BatchSize;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Gets the label index of each class name (Keras <c>class_indices</c>).</summary>
    public IReadOnlyDictionary<string, int> ClassIndices { get; }

    /// <summary>Gets the number of images of each class, in label order (files skipped so far are not counted).</summary>
    public IReadOnlyList<int> ClassCounts
    {
        get
        {
            var counts = new int[ClassNames.Count];
            for (var i = 0; i < _paths.Length; i++)
            {
                if (!_skipped.ContainsKey(i))
                {
                    counts[_labels[i]]++;
                }
            }

            return counts;
        }
    }

    /// <inheritdoc/>
    public ClassMode ClassMode => _options.ClassMode;

    /// <inheritdoc/>
    public ImagePreprocessing Preprocessing => _options.Preprocessing;

    /// <summary>
    /// Gets Keras' summary line of the dataset, "Found N images belonging to K classes.", as it was logged when the
    /// dataset was created (N counts the files left after <see cref="ImageFolderDatasetOptions.ValidateFilesOnOpen"/>).
    /// <c>Fit</c> prints it at its start when it prints progress.
    /// </summary>
    public string FoundMessage { get; }

    /// <summary>
    /// Gets the seed of shuffling and augmentation: the option's seed, else the next one drawn from the global seed of
    /// <c>ConvVizRuntime.Seed</c>, else one picked at random.
    /// </summary>
    public int Seed { get; }

    /// <summary>Gets the image files in sorted order (class-major), including any that were skipped.</summary>
    public IReadOnlyList<string> FilePaths => _paths;

    /// <summary>Gets the class index of each file in <see cref="FilePaths"/>.</summary>
    public IReadOnlyList<int> FileLabels => _labels;

    /// <summary>Gets the files left out so far under <see cref="BadFilePolicy.Skip"/>, in file order.</summary>
    public IReadOnlyList<SkippedImageFile> SkippedFiles => [.. _skipped.OrderBy(p => p.Key).Select(p => p.Value)];

    /// <summary>
    /// Occurs once for every file the dataset leaves out under <see cref="BadFilePolicy.Skip"/>, right after the
    /// "Skipping image" warning is logged. It is raised on the thread that decoded the file (a background worker
    /// during <see cref="GetBatches"/>), so a handler must be quick and thread-safe. <c>Fit</c> uses it to print the
    /// warnings with its progress.
    /// </summary>
    public event EventHandler<SkippedImageFile>? FileSkipped;

    /// <inheritdoc/>
    /// <exception cref="InvalidImageFileException">Under <see cref="BadFilePolicy.Throw"/>: an image file cannot be used (thrown when its batch is reached).</exception>
    public IEnumerable<Batch> GetBatches(int epoch, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        NativeBackend.EnsureLoaded();
        var order = Enumerable.Range(0, _paths.Length).Where(i => !_skipped.ContainsKey(i)).ToArray();
        if (_options.Shuffle)
        {
            new Random(SeedMixer.Mix(Seed, epoch)).Shuffle(order);
        }

        return Iterate(epoch, order, cancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
        if (_cache is not null)
        {
            Array.Clear(_cache);
        }
    }

    private IEnumerable<Batch> Iterate(int epoch, int[] order, CancellationToken cancellationToken)
    {
        var batchCount = (order.Length + BatchSize - 1) / BatchSize;
        var workers = _options.WorkerCount ?? s_defaultWorkers.Value;
        if (workers == 0)
        {
            return IterateInline(epoch, order, batchCount, cancellationToken);
        }

        return IterateWithWorkers(epoch, order, batchCount, workers, cancellationToken);
    }

    /// <summary>
    /// <see cref="ImageFolderDatasetOptions.WorkerCount"/> = 0: each batch is built when it is asked for, on the asking
    /// thread and the thread pool, over all cores at once; nothing runs while the caller trains.
    /// </summary>
    private IEnumerable<Batch> IterateInline(int epoch, int[] order, int batchCount, CancellationToken cancellationToken)
    {
        var skippedBefore = _skipped.Count;
        var used = 0;
        try
        {
            for (var b = 0; b < batchCount; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ObjectDisposedException.ThrowIf(_disposed, this);
                var start = b * BatchSize;
                var batch = BuildBatch(epoch, order.AsSpan(start, Math.Min(BatchSize, order.Length - start)).ToArray(), Environment.ProcessorCount);
                if (batch is null)
                {
                    continue;
                }

                used += batch.Count;
                yield return batch;
            }
        }
        finally
        {
            if (_skipped.Count > skippedBefore)
            {
                Log.SkippedSummary(_options.Logger, _skipped.Count, used);
            }
        }
    }

    private IEnumerable<Batch> IterateWithWorkers(int epoch, int[] order, int batchCount, int workerCount, CancellationToken cancellationToken)
    {
        var workers = Math.Max(1, Math.Min(workerCount, batchCount));
        var capacity = Math.Max(1, (_options.PrefetchBatches + workers - 1) / workers);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channels = new Channel<BatchResult>[workers];
        var tasks = new Task[workers];
        var skippedBefore = _skipped.Count;
        for (var w = 0; w < workers; w++)
        {
            channels[w] = Channel.CreateBounded<BatchResult>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
            var worker = w;
            tasks[w] = Task.Run(() => ProduceAsync(worker, workers, epoch, order, batchCount, channels[worker].Writer, cts.Token), CancellationToken.None);
        }

        var used = 0;
        try
        {
            for (var b = 0; b < batchCount; b++)
            {
                var result = channels[b % workers].Reader.ReadAsync(cts.Token).AsTask().GetAwaiter().GetResult();
                result.Error?.Throw();
                if (result.Batch is null)
                {
                    continue;
                }

                used += result.Batch.Count;
                yield return result.Batch;
                ObjectDisposedException.ThrowIf(_disposed, this);
            }
        }
        finally
        {
            cts.Cancel();
            foreach (var channel in channels)
            {
                while (channel.Reader.TryRead(out var leftover))
                {
                    leftover.Batch?.Dispose();
                }
            }

            try
            {
                Task.WaitAll(tasks);
            }
            catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OperationCanceledException))
            {
                // The workers stopped because the pass ended early.
            }

            foreach (var channel in channels)
            {
                while (channel.Reader.TryRead(out var leftover))
                {
                    leftover.Batch?.Dispose();
                }
            }

            if (_skipped.Count > skippedBefore)
            {
                Log.SkippedSummary(_options.Logger, _skipped.Count, used);
            }
        }
    }

    private async Task ProduceAsync(int worker, int workers, int epoch, int[] order, int batchCount, ChannelWriter<BatchResult> writer, CancellationToken cancellationToken)
    {
        try
        {
            for (var b = worker; b < batchCount; b += workers)
            {
                cancellationToken.ThrowIfCancellationRequested();
                BatchResult result;
                try
                {
                    var start = b * BatchSize;
                    result = new BatchResult(BuildBatch(epoch, order.AsSpan(start, Math.Min(BatchSize, order.Length - start)).ToArray(), parallelism: 1), null);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    result = new BatchResult(null, ExceptionDispatchInfo.Capture(ex));
                }

                try
                {
                    await writer.WriteAsync(result, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    result.Batch?.Dispose();
                    throw;
                }

                if (result.Error is not null)
                {
                    return;
                }
            }
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private Batch? BuildBatch(int epoch, int[] indices, int parallelism)
    {
        var pp = _options.Preprocessing;
        var bytesPerImage = ImagePixels.BytesPerImage(pp);
        var buffer = new byte[indices.Length * bytesPerImage];
        var loaded = new bool[indices.Length];
        ForEachImage(indices.Length, parallelism, i => loaded[i] = LoadPixels(indices[i], buffer.AsSpan(i * bytesPerImage, bytesPerImage)));

        // Skipped files leave gaps: close them in order, so the batch is the same however the images were spread.
        var used = new List<int>(indices.Length);
        for (var i = 0; i < indices.Length; i++)
        {
            if (!loaded[i])
            {
                continue;
            }

            if (used.Count != i)
            {
                buffer.AsSpan(i * bytesPerImage, bytesPerImage).CopyTo(buffer.AsSpan(used.Count * bytesPerImage, bytesPerImage));
            }

            used.Add(indices[i]);
        }

        if (used.Count == 0)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        var images = _pixelPath ? FromPixels(buffer, used, epoch, parallelism) : FromTensors(buffer, used, epoch);
        if (_options.SaveToDirectory is { } saveTo)
        {
            // Keras: "{prefix}_{index}_{hash}.{format}" with hash = np.random.randint(1e7), after standardize().
            var extension = _options.SaveFormat == SavedImageFormat.Jpeg ? "jpeg" : "png";
            var names = used.ConvertAll(i => string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"{_options.SavePrefix}_{i}_{new Random(SeedMixer.Mix(Seed, epoch, (2L << 32) + i)).Next(10_000_000)}.{extension}"));
            TensorImages.WriteFiles(images, saveTo, names, _options.SaveFormat, overwrite: true);
        }

        var labels = BuildLabels(used, images);
        var weights = _weights is null ? null : tensor(used.Select(i => (float)_weights[i]).ToArray());
        // Owned by the caller and by no dispose scope, whichever thread built it (the caller's own scopes included).
        var batch = new Batch(images.DetachFromDisposeScope(), labels?.DetachFromDisposeScope(), weights?.DetachFromDisposeScope());
        return batch;
    }

    /// <summary>Copies an image's resized pixels into <paramref name="slot"/> from the cache, or decodes them.</summary>
    /// <returns>False when the file is skipped (now or in an earlier pass).</returns>
    private bool LoadPixels(int index, Span<byte> slot)
    {
        if (_cache?[index] is { } cached)
        {
            cached.CopyTo(slot);
            return true;
        }

        if (_skipped.ContainsKey(index))
        {
            return false;
        }

        var pp = _options.Preprocessing;
        try
        {
            var data = SafeImageDecoder.ReadFile(_paths[index], _options.Decoding);
            ImagePixels.DecodeResized(data, _paths[index], pp, _options.Decoding, slot);
        }
        catch (InvalidImageFileException ex) when (_options.BadFilePolicy == BadFilePolicy.Skip)
        {
            Skip(index, ex);
            return false;
        }

        if (_cache is not null)
        {
            AddToCache(index, slot);
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="body"/> for images 0 … <paramref name="count"/> − 1, on up to <paramref name="parallelism"/>
    /// threads; the first failure by image order is rethrown as it was thrown.
    /// </summary>
    private static void ForEachImage(int count, int parallelism, Action<int> body)
    {
        if (parallelism <= 1 || count <= 1)
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        var errors = new ExceptionDispatchInfo?[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, i =>
        {
            try
            {
                body(i);
            }
            catch (Exception ex)
            {
                errors[i] = ExceptionDispatchInfo.Capture(ex);
            }
        });
        Array.Find(errors, e => e is not null)?.Throw();
    }

    /// <summary>
    /// The common case, in one managed pass per image: decoded bytes → (augmented) planar float32 → rescaled, written
    /// once into the batch. Used when standardising is a rescale only and no preprocessing function runs in between;
    /// it gives the same bits as <see cref="FromTensors"/> (tested).
    /// </summary>
    private Tensor FromPixels(byte[] buffer, List<int> used, int epoch, int parallelism)
    {
        var pp = _options.Preprocessing;
        var bytesPerImage = ImagePixels.BytesPerImage(pp);
        var channels = pp.Channels;
        int height = pp.TargetHeight, width = pp.TargetWidth;
        var size = channels * height * width;
        var scale = pp.Rescale is { } r ? (float)r : 1f;
        // Written straight into the batch tensor's own (uninitialised) memory: no managed array to allocate, zero, pin
        // and collect per batch, and no copy.
        var images = empty(used.Count, channels, height, width);
        ForEachImage(used.Count, parallelism, i =>
        {
            var pixels = ImagePixels.FoldColor(buffer.AsSpan(i * bytesPerImage, bytesPerImage), pp, ImagePixels.LumaScratch(pp));
            var destination = MemoryMarshal.Cast<byte, float>(images.bytes).Slice(i * size, size);
            if (_augment)
            {
                _pixelAugmenter!.AugmentPixels(pixels, channels, height, width, ImageSeed(epoch, used[i]), scale, destination);
            }
            else
            {
                ImagePixels.ToPlanar(pixels, channels, destination, scale);
            }
        });
        return images;
    }

    /// <summary>The general case, batch by batch on tensors: augmenter, preprocessing function, then standardisation.</summary>
    private Tensor FromTensors(byte[] buffer, List<int> used, int epoch)
    {
        var pp = _options.Preprocessing;
        var images = ImagePixels.ToTensor(buffer, used.Count, pp);
        if (_augment)
        {
            images = _options.Augmenter!.Augment(images, used.ConvertAll(i => ImageSeed(epoch, i)));
        }

        if (_options.PreprocessingFunction is { } function)
        {
            var shape = images.shape;
            images = function(images);
            if (images is null || !images.shape.SequenceEqual(shape))
            {
                throw new InvalidOperationException($"The preprocessing function must return a tensor of shape [{string.Join(", ", shape)}]; got [{(images is null ? "null" : string.Join(", ", images.shape))}].");
            }
        }

        return pp.Standardize(images);
    }

    /// <summary>Per-sample augmentation seeds (salted apart from the shuffle seed): results do not depend on batching or worker count.</summary>
    private int ImageSeed(int epoch, int index) => SeedMixer.Mix(Seed, epoch, (1L << 32) + index);

    /// <summary>Keeps a copy of an image's pixels if the cache has room (workers may call it concurrently).</summary>
    private void AddToCache(int index, ReadOnlySpan<byte> pixels)
    {
        if (Interlocked.Add(ref _cachedBytes, pixels.Length) > _options.CacheMemoryLimit)
        {
            Interlocked.Add(ref _cachedBytes, -pixels.Length);
            if (Interlocked.Exchange(ref _cacheFullLogged, 1) == 0)
            {
                Log.CacheFull(_options.Logger, Volatile.Read(ref _cachedCount), SampleCount, _options.CacheMemoryLimit >> 20);
            }

            return;
        }

        Interlocked.Increment(ref _cachedCount);
        _cache![index] = pixels.ToArray();
    }

    private Tensor? BuildLabels(List<int> used, Tensor images)
    {
        var count = used.Count;
        switch (_options.ClassMode)
        {
            case ClassMode.Categorical:
                var classes = ClassNames.Count;
                var oneHot = new float[count * classes];
                for (var i = 0; i < count; i++)
                {
                    oneHot[(i * classes) + _labels[used[i]]] = 1;
                }

                return tensor(oneHot, [count, classes]);
            case ClassMode.Binary:
                return tensor(used.Select(i => (float)_labels[i]).ToArray(), [count, 1]);
            case ClassMode.Sparse:
                return tensor(used.Select(i => (long)_labels[i]).ToArray());
            case ClassMode.Input:
                return images.clone();
            default:
                return null;
        }
    }

    private void ValidateAll()
    {
        for (var i = 0; i < _paths.Length; i++)
        {
            try
            {
                var data = SafeImageDecoder.ReadFile(_paths[i], _options.Decoding);
                SafeImageDecoder.Validate(data, _paths[i], _options.Decoding);
            }
            catch (InvalidImageFileException ex) when (_options.BadFilePolicy == BadFilePolicy.Skip)
            {
                Skip(i, ex);
            }
        }

        if (!_skipped.IsEmpty)
        {
            Log.SkippedSummary(_options.Logger, _skipped.Count, _paths.Length - _skipped.Count);
        }
    }

    private void Skip(int index, InvalidImageFileException ex)
    {
        var file = new SkippedImageFile(_paths[index], ex.Problem, ex.Message);
        if (_skipped.TryAdd(index, file))
        {
            Log.SkippedImage(_options.Logger, ex.Message);
            FileSkipped?.Invoke(this, file);
        }
    }

    private sealed record BatchResult(Batch? Batch, ExceptionDispatchInfo? Error);

    /// <summary>The files of a dataset before the shared setup: paths with their class indices, the classes, the origin (for messages) and the enabled extensions.</summary>
    private sealed record ScannedFiles(List<string> Paths, List<int> Labels, List<string> Classes, string Directory, HashSet<string> Extensions, List<double>? Weights = null);
}
