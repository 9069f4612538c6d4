// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Data;

/// <summary>What <see cref="DatasetSplitter"/> does when a destination file already exists.</summary>
public enum ExistingFilePolicy
{
    /// <summary>Throw before anything is copied, listing the conflicts (the default).</summary>
    Throw,

    /// <summary>Leave the existing file alone and count it as skipped.</summary>
    Skip,

    /// <summary>Replace the existing file.</summary>
    Overwrite,
}
