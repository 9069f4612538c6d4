// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz;

/// <summary>The parts of ConvViz whose default seed comes from the global seed; each draws its own sequence.</summary>
internal enum SeedComponent
{
    /// <summary>Weight initialization of <c>SequentialBuilder.Build</c> without <c>WithSeed</c>.</summary>
    Weights = 1,

    /// <summary>An <c>ImageFolderDataset</c> without <c>Seed</c> (shuffle, augmentation draws, saved file names).</summary>
    ImageFolderDataset,

    /// <summary>An <c>InMemoryDataset</c> without a seed (shuffle order).</summary>
    InMemoryDataset,

    /// <summary>The augmentation draws of <c>Augmenter.Fit</c> without a seed.</summary>
    AugmenterFit,

    /// <summary><c>Fit</c> without <c>FitOptions.Seed</c> (libtorch's global generator, per epoch: Dropout).</summary>
    Fit,

    /// <summary>The noise of <c>SmoothGradOptions</c> without <c>Seed</c>.</summary>
    SmoothGrad,

    /// <summary>The starting noise and jitter of <c>ActivationMaximizationOptions</c> without <c>Seed</c>.</summary>
    ActivationMaximization,

    /// <summary>The shuffle of <c>DatasetSplitOptions</c> without <c>Seed</c>.</summary>
    DatasetSplit,
}

/// <summary>
/// The process-wide seed set by <c>ConvVizRuntime.Seed</c>, at the bottom of the stack so every stage can read it.
/// Each component draws its default seeds in order from its own sequence (global seed, component, n-th draw), so
/// the same program gives every object the same seed in every run, and adding, say, a SmoothGrad call does not shift
/// the seed of the next dataset.
/// </summary>
internal static class SeedStore
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<SeedComponent, long> Draws = [];
    private static int? _seed;

    /// <summary>Gets the global seed, or <see langword="null"/> when none is set.</summary>
    public static int? Seed
    {
        get
        {
            lock (Gate)
            {
                return _seed;
            }
        }
    }

    /// <summary>Sets (or clears) the global seed and restarts every component's sequence.</summary>
    /// <param name="seed">The seed, or <see langword="null"/> to clear it.</param>
    public static void Set(int? seed)
    {
        lock (Gate)
        {
            _seed = seed;
            Draws.Clear();
        }
    }

    /// <summary>The next default seed of a component, or <see langword="null"/> when no global seed is set.</summary>
    /// <param name="component">Who asks.</param>
    /// <returns>The seed.</returns>
    public static int? Next(SeedComponent component)
    {
        lock (Gate)
        {
            if (_seed is not { } seed)
            {
                return null;
            }

            var n = Draws.GetValueOrDefault(component);
            Draws[component] = n + 1;
            return SeedMixer.Mix(seed, (long)component << 40, n);
        }
    }

    /// <summary>
    /// The one default seed of a component that must not change between calls (a fit's seed: a resumed fit then draws
    /// the Dropout masks of an uninterrupted one), or <see langword="null"/> when no global seed is set.
    /// </summary>
    /// <param name="component">Who asks.</param>
    /// <returns>The seed.</returns>
    public static int? Fixed(SeedComponent component)
    {
        lock (Gate)
        {
            return _seed is { } seed ? SeedMixer.Mix(seed, (long)component << 40, -1) : null;
        }
    }
}
