// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz;

/// <summary>
/// Deterministic seed derivation (SplitMix64 finaliser). Unlike <see cref="HashCode"/>, which is randomised per
/// process, the same inputs give the same seed in every run, so shuffles and augmentation are reproducible.
/// </summary>
internal static class SeedMixer
{
    /// <summary>Mixes a seed with up to two further values into a 32-bit seed.</summary>
    /// <param name="seed">The user seed.</param>
    /// <param name="a">The first value (for example the epoch).</param>
    /// <param name="b">The second value (for example the sample index).</param>
    /// <returns>A well-mixed non-negative seed.</returns>
    public static int Mix(int seed, long a, long b = 0)
    {
        var x = Step((ulong)(uint)seed);
        x = Step(x ^ (ulong)a);
        x = Step(x ^ (ulong)b);
        return (int)(x & 0x7FFF_FFFF);
    }

    private static ulong Step(ulong z)
    {
        z += 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }
}
