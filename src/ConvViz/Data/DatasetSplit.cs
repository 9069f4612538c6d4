// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;

namespace ConvViz.Data;

/// <summary>
/// One output split of <see cref="DatasetSplitter"/> (for example <c>train</c>): either a range of the numbers in
/// Kaggle-style file names (<c>cat.1.jpg</c> … <c>cat.2000.jpg</c>) or a fraction of each class.
/// </summary>
public sealed class DatasetSplit
{
    private DatasetSplit(string name, int? first, int? last, double? fraction)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a valid folder name.", nameof(name));
        }

        Name = name;
        FirstNumber = first;
        LastNumber = last;
        Fraction = fraction;
    }

    /// <summary>Gets the split's folder name.</summary>
    public string Name { get; }

    /// <summary>Gets the first file number of the range (included), or <see langword="null"/> for a fraction split.</summary>
    public int? FirstNumber { get; }

    /// <summary>Gets the last file number of the range (included), or <see langword="null"/> for a fraction split.</summary>
    public int? LastNumber { get; }

    /// <summary>Gets the fraction of each class, or <see langword="null"/> for a range split.</summary>
    public double? Fraction { get; }

    /// <summary>
    /// A split holding the files numbered <paramref name="first"/> to <paramref name="last"/>, both included, of every
    /// class: the number in the file name (<c>cat.1.jpg</c> is 1), not a position in a listing. The blog's training
    /// split is <c>ByFileNumbers("train", 1, 2000)</c>, as R's <c>paste0("cat.", 1:2000, ".jpg")</c>. (A
    /// <see cref="Range"/> is not taken: its end is exclusive, so <c>1..2000</c> would silently drop file 2000.)
    /// </summary>
    /// <param name="name">The folder name, such as <c>train</c>.</param>
    /// <param name="first">The first file number.</param>
    /// <param name="last">The last file number (included); at least <paramref name="first"/>.</param>
    /// <returns>The split.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is empty or negative.</exception>
    public static DatasetSplit ByFileNumbers(string name, int first, int last)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        return new DatasetSplit(name, first, last, null);
    }

    /// <summary>A split holding a seeded random fraction of every class.</summary>
    /// <param name="name">The folder name, such as <c>validation</c>.</param>
    /// <param name="fraction">The fraction, above 0 and at most 1.</param>
    /// <returns>The split.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is outside (0, 1].</exception>
    public static DatasetSplit ByFraction(string name, double fraction)
    {
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction must be above 0 and at most 1.");
        }

        return new DatasetSplit(name, null, null, fraction);
    }

    /// <summary>Formats the split, for example <c>train [1–2000]</c> or <c>validation 20%</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Fraction is { } f
        ? string.Create(CultureInfo.InvariantCulture, $"{Name} {f:P0}")
        : string.Create(CultureInfo.InvariantCulture, $"{Name} [{FirstNumber}–{LastNumber}]");
}
