// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConvViz.Data;

/// <summary>Options of <see cref="DatasetSplitter.Split"/>.</summary>
public sealed record DatasetSplitOptions
{
    /// <summary>Gets the flat source folder with files named <c>{class}.{number}.{extension}</c>, such as Kaggle's <c>train/</c>.</summary>
    /// <value>There is no default; the folder is required.</value>
    public required string SourceDirectory { get; init { ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(SourceDirectory)); field = value; } }

    /// <summary>Gets the folder that receives <c>{split}/{class}/</c> sub-folders.</summary>
    /// <value>There is no default; the folder is required.</value>
    public required string DestinationDirectory { get; init { ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(DestinationDirectory)); field = value; } }

    /// <summary>Gets the splits: all index ranges (non-overlapping) or all fractions (summing to at most 1).</summary>
    /// <value>There is no default; at least one split is required.</value>
    public required IReadOnlyList<DatasetSplit> Splits
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Splits));
            field = value;
        }
    }

    /// <summary>Gets the seed of the per-class shuffle for fraction splits.</summary>
    /// <value>
    /// The default value is 0, or, when <c>ConvVizRuntime.Seed</c> set a global seed before these options were
    /// created, the next split seed drawn from it.
    /// </value>
    public int Seed { get; init; } = SeedStore.Next(SeedComponent.DatasetSplit) ?? 0;

    /// <summary>Gets the character between class name, number and extension in file names.</summary>
    /// <value>The default value is '.' (<c>cat.1.jpg</c>).</value>
    public char Separator { get; init; } = '.';

    /// <summary>Gets a value indicating whether only the plan is computed and reported, without copying.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool DryRun { get; init; }

    /// <summary>Gets what happens when a destination file already exists.</summary>
    /// <value>
    /// The default value is <see cref="ExistingFilePolicy.SkipIdentical"/>: running the same split again keeps the
    /// files it copied before (as R's <c>file.copy</c> does), and a different file under the same name is refused.
    /// </value>
    public ExistingFilePolicy ExistingFiles
    {
        get;
        init
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(ExistingFiles), value, "Not an ExistingFilePolicy value.");
            }

            field = value;
        }
    } = ExistingFilePolicy.SkipIdentical;

    /// <summary>Gets the logger for the summary line.</summary>
    /// <value>The default value is <see cref="NullLogger.Instance"/>.</value>
    public ILogger Logger { get; init { ArgumentNullException.ThrowIfNull(value, nameof(Logger)); field = value; } } = NullLogger.Instance;
}
