// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Data;

/// <summary>What <see cref="DatasetSplitter"/> does when a destination file already exists.</summary>
public enum ExistingFilePolicy
{
    /// <summary>Throw before anything is copied, listing the conflicts, even when the existing files are identical.</summary>
    Throw,

    /// <summary>Leave the existing file alone, whatever it holds, and count it as skipped.</summary>
    Skip,

    /// <summary>Replace the existing file.</summary>
    Overwrite,

    /// <summary>
    /// Leave an existing file alone when it is identical to its source (same length and bytes), as a second run of the
    /// same split finds it, and count it as skipped; throw before anything is copied when one differs, naming it (the default).
    /// </summary>
    SkipIdentical,
}
