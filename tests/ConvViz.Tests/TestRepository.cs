// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Tests;

/// <summary>The repository the tests run from, for tests that read its sources and documents.</summary>
internal static class TestRepository
{
    private static readonly Lazy<string> s_root = new(Find);

    /// <summary>Gets the folder that holds ConvViz.sln.</summary>
    public static string Root => s_root.Value;

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConvViz.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ConvViz.sln not found above the test directory; run the tests from the repository.");
    }
}
