// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Tests.Data;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// Named pipes, device links and sockets inside class folders: each is refused by its type before any open, names
/// the file and its type, and follows the bad-file policy. Every test runs under a timeout, and a timed-out FIFO open
/// is released by opening the FIFO's write end, so a regression fails instead of hanging the test run.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class NonRegularFileTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_Fifo_RefusedByTypeWithoutBlocking()
    {
        var fifo = MakeFifo(_temp.Combine("cat.1.jpg"));

        var ex = WithTimeout(fifo, () => Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(fifo, new ImagePreprocessing())));

        Assert.Equal(ImageFileProblem.NotARegularFile, ex.Problem);
        Assert.Equal(fifo, ex.FilePath);
        Assert.Contains("named pipe (FIFO)", ex.Message, StringComparison.Ordinal);
        Assert.Contains(fifo, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LinkToDevZero_NamesTheDeviceNotAnEmptyFile()
    {
        var link = _temp.Combine("dog.1.jpg");
        File.CreateSymbolicLink(link, "/dev/zero");

        var ex = WithTimeout(null, () => Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(link, new ImagePreprocessing())));

        Assert.Equal(ImageFileProblem.NotARegularFile, ex.Problem);
        Assert.Contains("character device", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/dev/zero", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dataset_FifoDeviceLinkAndSocket_SkipPolicy_SkipsAndCountsEach()
    {
        WriteGoodImages();
        var fifo = MakeFifo(_temp.Combine("cats", "cat.1.jpg"));
        var device = _temp.Combine("dogs", "dog.1.jpg");
        File.CreateSymbolicLink(device, "/dev/zero");
        using var socket = BindSocket(_temp.Combine("dogs", "dog.2.png"));
        var logger = new ListLogger();

        var (skipped, count) = WithTimeout(fifo, () =>
        {
            using var ds = new ImageFolderDataset(new() { Directory = _temp.Path, FollowLinks = true, BadFilePolicy = BadFilePolicy.Skip, Shuffle = false, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 }, Logger = logger });
            var used = ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } });
            return (ds.SkippedFiles, used);
        });

        Assert.Equal(4, count);
        Assert.Equal(new[] { fifo, device, socket.Path }.Order(StringComparer.Ordinal), skipped.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.All(skipped, s => Assert.Equal(ImageFileProblem.NotARegularFile, s.Problem));
        Assert.Contains(skipped, s => s.Path == socket.Path && s.Message.Contains("a socket", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Message.Contains("named pipe (FIFO)", StringComparison.Ordinal));
    }

    [Fact]
    public void Dataset_Fifo_ThrowPolicy_ThrowsNamingItAtItsBatch()
    {
        WriteGoodImages();
        var fifo = MakeFifo(_temp.Combine("cats", "cat.1.jpg"));

        var ex = WithTimeout(fifo, () =>
        {
            using var ds = new ImageFolderDataset(new() { Directory = _temp.Path, Shuffle = false, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 } });
            return Assert.Throws<InvalidImageFileException>(() => ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } }));
        });

        Assert.Equal(fifo, ex.FilePath);
        Assert.Equal(ImageFileProblem.NotARegularFile, ex.Problem);
    }

    [Fact]
    public void Dataset_Fifo_ValidateFilesOnOpen_SkipsBeforeTheFirstPass()
    {
        WriteGoodImages();
        var fifo = MakeFifo(_temp.Combine("cats", "cat.1.jpg"));

        var skipped = WithTimeout(fifo, () =>
        {
            using var ds = new ImageFolderDataset(new() { Directory = _temp.Path, ValidateFilesOnOpen = true, BadFilePolicy = BadFilePolicy.Skip, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 } });
            return ds.SkippedFiles;
        });

        Assert.Equal(fifo, Assert.Single(skipped).Path);
    }

    [Fact]
    public void Split_FifoAndDeviceLink_AreLeftUnassignedNotCopied()
    {
        var source = _temp.Combine("train");
        TestImages.WriteSolidPng(Path.Combine(source, "cat.0.png"), new Rgb24(1, 2, 3), 4);
        var fifo = MakeFifo(Path.Combine(source, "cat.1.jpg"));
        var device = Path.Combine(source, "cat.2.jpg");
        File.CreateSymbolicLink(device, "/dev/zero");

        var report = WithTimeout(fifo, () => DatasetSplitter.Split(new DatasetSplitOptions
        {
            SourceDirectory = source,
            DestinationDirectory = _temp.Combine("out"),
            Splits = [DatasetSplit.ByFileNumbers("train", 0, 9)],
        }));

        Assert.Equal(1, report.CopiedCount);
        Assert.Equal([fifo, device], report.UnassignedFiles);
    }

    private void WriteGoodImages()
    {
        for (var i = 0; i < 2; i++)
        {
            TestImages.WriteSolidPng(_temp.Combine("cats", $"cat.{i + 10}.png"), new Rgb24(200, 10, 10), 4);
            TestImages.WriteSolidPng(_temp.Combine("dogs", $"dog.{i + 10}.png"), new Rgb24(10, 10, 200), 4);
        }
    }

    private static string MakeFifo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var process = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return path;
    }

    private static BoundSocket BindSocket(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return new BoundSocket(socket, path);
    }

    /// <summary>Runs <paramref name="action"/> on a worker; on timeout, unblocks a reader of <paramref name="fifo"/> and fails.</summary>
    private static T WithTimeout<T>(string? fifo, Func<T> action)
    {
        var task = Task.Run(action);
        if (!task.Wait(s_timeout))
        {
            if (fifo is not null)
            {
                // A blocked open(O_RDONLY) returns once a writer opens the FIFO; closing it gives the reader end-of-file.
                // The writer's own open blocks if nobody reads, so it gets a timeout too.
                Task.Run(() => { using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write); }).Wait(TimeSpan.FromSeconds(5));
            }

            Assert.Fail($"The operation did not finish within {s_timeout.TotalSeconds} s: a non-regular file was opened and blocked.");
        }

        return task.GetAwaiter().GetResult();
    }

    private sealed record BoundSocket(Socket Socket, string Path) : IDisposable
    {
        public void Dispose() => Socket.Dispose();
    }
}
