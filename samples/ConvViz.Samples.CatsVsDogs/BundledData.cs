// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Samples.CatsVsDogs;

/// <summary>Finds the bundled demo data: next to the executable (copied by the build) or in the repository's <c>samples/data</c>.</summary>
internal static class BundledData
{
    public static string FindDirectory()
    {
        var nextToExe = Path.Combine(AppContext.BaseDirectory, "data");
        if (File.Exists(Path.Combine(nextToExe, "chelsea.png")))
        {
            return nextToExe;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "data");
            if (File.Exists(Path.Combine(candidate, "chelsea.png")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"The bundled demo data (samples/data with chelsea.png and fashion-shoes/) was not found next to '{AppContext.BaseDirectory}' " +
            "or in any parent folder. Run the sample from a clone of the repository, or pass --data <Kaggle train folder>.");
    }
}
