// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;

namespace ConvViz.Tests.Data;

public sealed class DatasetSplitterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public DatasetSplitterTests()
    {
        Directory.CreateDirectory(Source);
        for (var i = 1; i <= 30; i++)
        {
            File.WriteAllText(System.IO.Path.Combine(Source, $"cat.{i}.jpg"), $"cat {i}");
            File.WriteAllText(System.IO.Path.Combine(Source, $"dog.{i}.jpg"), $"dog {i}");
        }

        File.WriteAllText(System.IO.Path.Combine(Source, "readme.txt"), "not an image");
    }

    private string Source => _temp.Combine("train");

    private string Destination => _temp.Combine("small");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Split_ByIndexRanges_CopiesLikeTheBlog()
    {
        var report = DatasetSplitter.Split(new DatasetSplitOptions
        {
            SourceDirectory = Source,
            DestinationDirectory = Destination,
            Splits = [DatasetSplit.ByFileNumbers("train", 1, 20), DatasetSplit.ByFileNumbers("test", 21, 25)],
        });

        Assert.Equal(["cat", "dog"], report.Classes);
        Assert.Equal(20, report.Count("train", "cat"));
        Assert.Equal(5, report.Count("test", "dog"));
        Assert.Equal(50, report.CopiedCount);
        Assert.Equal(11, report.UnassignedFiles.Count); // numbers 26–30 of both classes and readme.txt
        Assert.Equal("dog 21", File.ReadAllText(System.IO.Path.Combine(Destination, "test", "dog", "dog.21.jpg")));
        Assert.Equal(20, Directory.GetFiles(System.IO.Path.Combine(Destination, "train", "cat")).Length);
        Assert.True(File.Exists(System.IO.Path.Combine(Source, "cat.1.jpg")), "files are copied, not moved");
    }

    [Fact]
    public void Split_ByFractions_IsSeededAndCoversEveryFile()
    {
        DatasetSplitOptions Options(string destination, int seed) => new()
        {
            SourceDirectory = Source,
            DestinationDirectory = destination,
            Splits = [DatasetSplit.ByFraction("train", 0.6), DatasetSplit.ByFraction("validation", 0.2), DatasetSplit.ByFraction("test", 0.2)],
            Seed = seed,
            DryRun = true,
        };

        var a = DatasetSplitter.Split(Options(Destination, 1));
        var b = DatasetSplitter.Split(Options(Destination, 1));
        var c = DatasetSplitter.Split(Options(Destination, 2));

        Assert.Equal(18, a.Count("train", "cat"));
        Assert.Equal(6, a.Count("validation", "dog"));
        Assert.Equal(6, a.Count("test", "cat"));
        Assert.Equal(60, a.Files.Select(f => f.Source).Distinct().Count());
        Assert.Equal(a.Files, b.Files);
        Assert.NotEqual(a.Files.Select(f => f.Source), c.Files.Select(f => f.Source));
    }

    [Fact]
    public void Split_DryRun_CopiesNothing()
    {
        var report = DatasetSplitter.Split(new DatasetSplitOptions
        {
            SourceDirectory = Source,
            DestinationDirectory = Destination,
            Splits = [DatasetSplit.ByFileNumbers("train", 1, 10)],
            DryRun = true,
        });

        Assert.Equal(20, report.Files.Count);
        Assert.Equal(0, report.CopiedCount);
        Assert.False(Directory.Exists(Destination));
        Assert.Contains("dry run", report.ToString());
    }

    [Fact]
    public void Split_ExistingFiles_ThrowBeforeCopying_SkipOrOverwriteWhenAsked()
    {
        var existing = System.IO.Path.Combine(Destination, "train", "dog", "dog.5.jpg");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(existing)!);
        File.WriteAllText(existing, "keep me");
        DatasetSplitOptions Options(ExistingFilePolicy policy) => new()
        {
            SourceDirectory = Source,
            DestinationDirectory = Destination,
            Splits = [DatasetSplit.ByFileNumbers("train", 1, 10)],
            ExistingFiles = policy,
        };

        var ex = Assert.Throws<IOException>(() => DatasetSplitter.Split(Options(ExistingFilePolicy.Throw)));
        Assert.Contains("dog.5.jpg", ex.Message);
        Assert.False(Directory.Exists(System.IO.Path.Combine(Destination, "train", "cat")));

        var skipped = DatasetSplitter.Split(Options(ExistingFilePolicy.Skip));
        Assert.Equal(1, skipped.SkippedExistingCount);
        Assert.Equal(19, skipped.CopiedCount);
        Assert.Equal("keep me", File.ReadAllText(existing));

        var overwritten = DatasetSplitter.Split(Options(ExistingFilePolicy.Overwrite));
        Assert.Equal(20, overwritten.CopiedCount);
        Assert.Equal("dog 5", File.ReadAllText(existing));
    }

    [Fact]
    public void Split_SecondRun_SkipsTheIdenticalFilesByDefaultAndReportsThem()
    {
        // R's file.copy keeps existing files, so the blog's script can run twice; so can the splitter, by default.
        DatasetSplitOptions Options() => new()
        {
            SourceDirectory = Source,
            DestinationDirectory = Destination,
            Splits = [DatasetSplit.ByFileNumbers("train", 1, 20), DatasetSplit.ByFileNumbers("test", 21, 25)],
        };
        var first = DatasetSplitter.Split(Options());
        var existing = System.IO.Path.Combine(Destination, "train", "cat", "cat.3.jpg");
        var written = File.GetLastWriteTimeUtc(existing);
        File.Delete(System.IO.Path.Combine(Destination, "test", "dog", "dog.22.jpg"));

        var second = DatasetSplitter.Split(Options());

        Assert.Equal(ExistingFilePolicy.SkipIdentical, Options().ExistingFiles);
        Assert.Equal(50, first.CopiedCount);
        Assert.Empty(first.SkippedExistingFiles);
        Assert.Equal(1, second.CopiedCount);
        Assert.Equal(49, second.SkippedExistingCount);
        Assert.Equal(second.Files.Where(f => !f.Destination.EndsWith("dog.22.jpg", StringComparison.Ordinal)), second.SkippedExistingFiles);
        Assert.Contains("copied 1, kept 49 existing", second.ToString(), StringComparison.Ordinal);
        Assert.Equal(written, File.GetLastWriteTimeUtc(existing));
        Assert.Equal("dog 22", File.ReadAllText(System.IO.Path.Combine(Destination, "test", "dog", "dog.22.jpg")));
    }

    [Theory]
    [InlineData("keep me")] // another length
    [InlineData("dog X")] // the same length, other bytes
    public void Split_ExistingDifferentFile_IsRefusedByDefaultNamingIt(string content)
    {
        var existing = System.IO.Path.Combine(Destination, "train", "dog", "dog.5.jpg");
        var identical = System.IO.Path.Combine(Destination, "train", "dog", "dog.4.jpg");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(existing)!);
        File.WriteAllText(existing, content);
        File.WriteAllText(identical, "dog 4");
        DatasetSplitOptions Options(ExistingFilePolicy policy) => new()
        {
            SourceDirectory = Source,
            DestinationDirectory = Destination,
            Splits = [DatasetSplit.ByFileNumbers("train", 1, 10)],
            ExistingFiles = policy,
        };

        var ex = Assert.Throws<IOException>(() => DatasetSplitter.Split(new DatasetSplitOptions
        {
            SourceDirectory = Source,
            DestinationDirectory = Destination,
            Splits = [DatasetSplit.ByFileNumbers("train", 1, 10)],
        }));

        Assert.Contains($"'{existing}' differs from '{System.IO.Path.Combine(Source, "dog.5.jpg")}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was copied", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Overwrite", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("dog.4.jpg", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(System.IO.Path.Combine(Destination, "train", "cat")));
        Assert.Equal(content, File.ReadAllText(existing));

        var overwritten = DatasetSplitter.Split(Options(ExistingFilePolicy.Overwrite));
        Assert.Equal(20, overwritten.CopiedCount);
        Assert.Equal("dog 5", File.ReadAllText(existing));
        var again = DatasetSplitter.Split(Options(ExistingFilePolicy.SkipIdentical));
        Assert.Equal(20, again.SkippedExistingCount);
    }

    [Fact]
    public void ExistingFiles_UndefinedValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatasetSplitOptions { SourceDirectory = Source, DestinationDirectory = Destination, Splits = [], ExistingFiles = (ExistingFilePolicy)17 });
    }

    [Fact]
    public void Split_InvalidSplits_Throw()
    {
        DatasetSplitOptions Options(params DatasetSplit[] splits) => new() { SourceDirectory = Source, DestinationDirectory = Destination, Splits = splits };

        Assert.Throws<ArgumentException>(() => DatasetSplitter.Split(Options(DatasetSplit.ByFileNumbers("a", 1, 10), DatasetSplit.ByFileNumbers("b", 10, 20))));
        Assert.Throws<ArgumentException>(() => DatasetSplitter.Split(Options(DatasetSplit.ByFileNumbers("a", 1, 10), DatasetSplit.ByFraction("b", 0.5))));
        Assert.Throws<ArgumentException>(() => DatasetSplitter.Split(Options(DatasetSplit.ByFraction("a", 0.7), DatasetSplit.ByFraction("b", 0.5))));
        Assert.Throws<ArgumentException>(() => DatasetSplitter.Split(Options(DatasetSplit.ByFraction("a", 0.5), DatasetSplit.ByFraction("a", 0.5))));
        Assert.Throws<ArgumentException>(() => DatasetSplitter.Split(Options()));
        Assert.Throws<ArgumentException>(() => DatasetSplit.ByFraction("../up", 0.5));
        Assert.Throws<DirectoryNotFoundException>(() => DatasetSplitter.Split(new DatasetSplitOptions { SourceDirectory = _temp.Combine("none"), DestinationDirectory = Destination, Splits = [DatasetSplit.ByFraction("a", 1)] }));
    }

    [Fact]
    public void Split_Destination_IsSplitThenClassFolder()
    {
        var report = DatasetSplitter.Split(new DatasetSplitOptions
        {
            SourceDirectory = Source,
            DestinationDirectory = Destination,
            Splits = [DatasetSplit.ByFileNumbers("train", 1, 3)],
            DryRun = true,
        });

        Assert.Equal(System.IO.Path.Combine(Destination, "train", "cat", "cat.2.jpg"), report.Files.Single(f => f.Source.EndsWith("cat.2.jpg", StringComparison.Ordinal)).Destination);
    }
}
