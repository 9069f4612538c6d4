// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Attributes;
using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Training;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>
/// One training epoch of the blog model over a folder of 1,000 generated ~500×375 JPEGs with the blog's augmentation,
/// batch 50. <c>Prefetch = true</c> is <see cref="ImageFolderDataset"/> (one background worker, two batches ahead);
/// <c>Prefetch = false</c> does the same decode, augmentation and standardisation inline on the training thread.
/// </summary>
public class EpochBenchmarks
{
    private const int Images = 1000;
    private string _root = null!;
    private Model _model = null!;

    [Params(true, false)]
    public bool Prefetch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _root = SyntheticJpegs.Ensure(SyntheticJpegs.DefaultRoot(Images), Images);
        manual_seed(42);
        _model = BlogData.CompiledModel();
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark]
    public double EpochOver1000Jpegs()
    {
        if (Prefetch)
        {
            using var folder = BlogData.Folder(_root);
            return _model.Fit(folder, new FitOptions { Epochs = 1 })["loss"][0];
        }

        var inline = new InlineFolderSource(_root);
        return _model.Fit(inline, new FitOptions { Epochs = 1 })["loss"][0];
    }

    /// <summary>The folder's batches built on demand on the calling thread: no overlap with training.</summary>
    private sealed class InlineFolderSource : IBatchSource
    {
        private readonly string[] _files;
        private readonly int[] _labels;
        private readonly Augmenter _augmenter = new(BlogData.Augmentation);

        public InlineFolderSource(string root)
        {
            var files = new List<string>();
            var labels = new List<int>();
            for (var c = 0; c < SyntheticJpegs.ClassNames.Length; c++)
            {
                foreach (var file in Directory.EnumerateFiles(Path.Combine(root, SyntheticJpegs.ClassNames[c]), "*.jpg").Order(StringComparer.Ordinal))
                {
                    files.Add(file);
                    labels.Add(c);
                }
            }

            _files = [.. files];
            _labels = [.. labels];
        }

        public int SampleCount => _files.Length;

        public int BatchSize => Blog.BatchSize;

        public int BatchesPerEpoch => (SampleCount + BatchSize - 1) / BatchSize;

        public IReadOnlyList<string> ClassNames => SyntheticJpegs.ClassNames;

        public ClassMode ClassMode => ClassMode.Categorical;

        public ImagePreprocessing Preprocessing => BlogData.Preprocessing;

        public IEnumerable<Batch> GetBatches(int epoch, CancellationToken cancellationToken = default)
        {
            var order = Enumerable.Range(0, SampleCount).ToArray();
            new Random(epoch).Shuffle(order);
            for (var start = 0; start < order.Length; start += BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var indices = order.AsSpan(start, Math.Min(BatchSize, order.Length - start)).ToArray();
                yield return Build(indices, epoch);
            }
        }

        private Batch Build(int[] indices, int epoch)
        {
            using var scope = NewDisposeScope();
            var pixelsOnly = new ImagePreprocessing { TargetHeight = Blog.Size, TargetWidth = Blog.Size };
            var pixels = cat(indices.Select(i => ImageLoader.LoadPixels(_files[i], pixelsOnly, ImageDecodingOptions.Default)).ToArray(), 0);
            var augmented = _augmenter.Augment(pixels, indices.Select(i => HashCode.Combine(epoch, i)).ToArray());
            var images = BlogData.Preprocessing.Standardize(augmented);
            var oneHot = new float[indices.Length * Blog.Classes];
            for (var k = 0; k < indices.Length; k++)
            {
                oneHot[(k * Blog.Classes) + _labels[indices[k]]] = 1;
            }

            var labels = tensor(oneHot, [indices.Length, Blog.Classes]);
            return new Batch(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
        }
    }
}
