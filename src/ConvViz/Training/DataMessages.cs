// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;

namespace ConvViz.Training;

/// <summary>
/// Prints what Keras prints about the data of a fit on <c>Fit</c>'s console progress: each image-folder source's
/// "Found N images belonging to K classes." line (after the warnings of files it skipped before), once at the start,
/// and a warning for every file skipped while the fit runs. The data layer only exposes the line and raises
/// <see cref="ImageFolderDataset.FileSkipped"/>; its <c>ILogger</c> messages are unchanged.
/// </summary>
internal sealed class DataMessages : IDisposable
{
    private readonly ConsoleProgressReporter _console;
    private readonly List<ImageFolderDataset> _sources = [];

    public DataMessages(ConsoleProgressReporter console, IBatchSource train, IBatchSource? validation)
    {
        _console = console;
        foreach (var source in (IBatchSource?[])[train, validation])
        {
            if (source is not ImageFolderDataset dataset || _sources.Exists(d => ReferenceEquals(d, dataset)))
            {
                continue;
            }

            foreach (var file in dataset.SkippedFiles)
            {
                console.WriteLine(Warning(file));
            }

            console.WriteLine(dataset.FoundMessage);
            dataset.FileSkipped += OnFileSkipped;
            _sources.Add(dataset);
        }
    }

    /// <summary>The console form of the data layer's "Skipping image" warning.</summary>
    /// <param name="file">The skipped file.</param>
    /// <returns>The line.</returns>
    public static string Warning(SkippedImageFile file) => "Warning: Skipping image: " + file.Message;

    public void Dispose()
    {
        foreach (var dataset in _sources)
        {
            dataset.FileSkipped -= OnFileSkipped;
        }

        _console.WritePending();
    }

    private void OnFileSkipped(object? sender, SkippedImageFile file) => _console.Enqueue(Warning(file));
}
