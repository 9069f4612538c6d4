// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Runtime.Versioning;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Tests.Data;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// The hostile and unusual image corpus of issue 9 that the Data tests do not already cover (zero-byte, truncated,
/// random bytes, PNG named .jpg and header bombs in PNG are in <c>Data/ImageLoaderTests</c>). Every file has one
/// defined outcome: loaded correctly, skipped with a logged warning and counted, or an
/// <see cref="InvalidImageFileException"/> naming the file.
/// </summary>
public sealed class ImageCorpusTests : IDisposable
{
    /// <summary>
    /// A 16×16 progressive JPEG (SOF2), left half RGB (200, 30, 30), right half (30, 30, 200). ImageSharp 2.1 cannot
    /// encode progressive JPEG, so these bytes were made once with libjpeg-turbo:
    /// <c>cjpeg -progressive -quality 95 -sample 1x1 -optimize two.ppm</c>.
    /// </summary>
    private const string ProgressiveJpegBase64 =
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/2wBDAQICAgICAgUDAwUKBwYHCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgr/wgARCAAQABADAREAAhEBAxEB/8QAFAABAAAAAAAAAAAAAAAAAAAAB//EABUBAQEAAAAAAAAAAAAAAAAAAAgG/9oADAMBAAIQAxAAAAEhhVUfuQcoAbYx+5Bz/8QAFBABAAAAAAAAAAAAAAAAAAAAIP/aAAgBAQABBQIf/8QAFBEBAAAAAAAAAAAAAAAAAAAAIP/aAAgBAwEBPwEf/8QAFBEBAAAAAAAAAAAAAAAAAAAAIP/aAAgBAgEBPwEf/8QAFBABAAAAAAAAAAAAAAAAAAAAIP/aAAgBAQAGPwIf/8QAFBABAAAAAAAAAAAAAAAAAAAAIP/aAAgBAQABPyEf/9oADAMBAAIAAwAAABAAD//EABQRAQAAAAAAAAAAAAAAAAAAACD/2gAIAQMBAT8QH//EABQRAQAAAAAAAAAAAAAAAAAAACD/2gAIAQIBAT8QH//EABQQAQAAAAAAAAAAAAAAAAAAACD/2gAIAQEAAT8QH//Z";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static byte[] ProgressiveJpeg => Convert.FromBase64String(ProgressiveJpegBase64);

    [Fact]
    public void Load_SixteenBitPng_LoadsScaledToEightBits()
    {
        using var image = new Image<Rgb48>(2, 1);
        image[0, 0] = new Rgb48(200 * 257, 30 * 257, 0);
        image[1, 0] = new Rgb48(65535, 0, 1 * 257);
        var path = _temp.Combine("deep.png");
        image.SaveAsPng(path, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });
        Assert.Equal(16, File.ReadAllBytes(path)[24]); // IHDR bit depth

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 1, TargetWidth = 2 }, ImageDecodingOptions.Default);

        Assert.Equal(new[] { 200f, 255f, 30f, 0f, 0f, 1f }, x.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Load_GrayscaleJpeg_ReplicatesLumaIntoRgb()
    {
        using var image = TestImages.Solid(8, 8, new Rgb24(100, 100, 100));
        var path = _temp.Combine("gray.jpg");
        image.SaveAsJpeg(path, new JpegEncoder { ColorType = JpegColorType.Luminance, Quality = 100 });
        Assert.Equal(1, JpegComponentCount(File.ReadAllBytes(path)));

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 8, TargetWidth = 8 }, ImageDecodingOptions.Default);

        Assert.Equal([1L, 3, 8, 8], x.shape);
        AssertNear(100, x.min().item<float>(), 1);
        AssertNear(100, x.max().item<float>(), 1);
    }

    [Fact]
    public void Load_ProgressiveJpeg_Decodes()
    {
        var bytes = ProgressiveJpeg;
        Assert.Contains(bytes.Select((b, i) => (b, i)), p => p.b == 0xFF && p.i + 1 < bytes.Length && bytes[p.i + 1] == 0xC2); // SOF2
        var path = _temp.Combine("progressive.jpg");
        File.WriteAllBytes(path, bytes);

        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 16, TargetWidth = 16 }, ImageDecodingOptions.Default);

        AssertNear(200, x[0, 0, 8, 2].item<float>(), 6);
        AssertNear(30, x[0, 2, 8, 2].item<float>(), 6);
        AssertNear(30, x[0, 0, 8, 13].item<float>(), 6);
        AssertNear(200, x[0, 2, 8, 13].item<float>(), 6);
    }

    [Fact]
    public void Load_RgbaPngTransparentPixel_RgbKeepsUnderlyingColour()
    {
        using var image = new Image<Rgba32>(2, 1);
        image[0, 0] = new Rgba32(250, 10, 20, 0);
        image[1, 0] = new Rgba32(5, 6, 7, 255);
        var path = TestImages.SavePng(image, _temp.Combine("alpha.png"));

        using var rgb = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 1, TargetWidth = 2 }, ImageDecodingOptions.Default);

        // Pillow's convert("RGB") drops alpha without compositing on a background; so does ConvViz.
        Assert.Equal(new[] { 250f, 5f, 10f, 6f, 20f, 7f }, rgb.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Load_AnimatedGif_RejectedByDefault_FirstFrameWhenEnabled()
    {
        var path = _temp.Combine("anim.gif");
        File.WriteAllBytes(path, AnimatedGif());

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));
        using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4 }, new ImageDecodingOptions { Formats = ImageFormats.Default | ImageFormats.Gif });

        Assert.Equal(ImageFileProblem.FormatNotEnabled, ex.Problem);
        Assert.Equal(path, ex.FilePath);
        Assert.Contains("ImageFormats.Gif", ex.Message);
        AssertNear(255, x[0, 0, 1, 1].item<float>(), 0); // frame 0 is red, frame 1 blue
        AssertNear(0, x[0, 2, 1, 1].item<float>(), 0);
    }

    [Fact]
    public void Load_GifRenamedJpg_StillRejectedByContent()
    {
        var path = _temp.Combine("looks-fine.jpg");
        File.WriteAllBytes(path, AnimatedGif());

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Equal(ImageFileProblem.FormatNotEnabled, ex.Problem);
    }

    [Fact]
    public void Load_TiffAndBigTiffRenamedJpg_RefusedFromHeaderTiffDecoderNotReached()
    {
        using var image = TestImages.Coordinates(4, 4);
        var tiff = _temp.Combine("scan.jpg");
        image.SaveAsTiff(tiff);
        var bigTiff = _temp.Combine("big.jpg");
        File.WriteAllBytes(bigTiff, [0x49, 0x49, 0x2B, 0x00, 0x08, 0x00, 0x00, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);

        var classic = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(tiff, new ImagePreprocessing()));
        var big = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(bigTiff, new ImagePreprocessing()));

        // The unfixed BigTIFF IFD hang (CVE-2026-106116) needs the TIFF decoder, which is not registered by default.
        Assert.Equal(ImageFileProblem.FormatNotEnabled, classic.Problem);
        Assert.Contains("ImageFormats.Tiff", classic.Message);
        Assert.True(big.Problem is ImageFileProblem.FormatNotEnabled or ImageFileProblem.UnknownFormat, big.Message);
        Assert.Equal(bigTiff, big.FilePath);
    }

    [Fact]
    public void Load_ExifRotatedJpeg_IgnoresOrientationLikeKerasLoadImg()
    {
        using var image = new Image<Rgb24>(4, 2);
        for (var y = 0; y < 2; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                image[x, y] = x < 2 ? new Rgb24(250, 0, 0) : new Rgb24(0, 0, 250);
            }
        }

        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6); // "rotate 90° clockwise to display"
        var path = _temp.Combine("rotated.jpg");
        image.SaveAsJpeg(path, new JpegEncoder { Quality = 100, ColorType = JpegColorType.YCbCrRatio444 });
        var info = Image.Identify(path);
        Assert.Equal((ushort)6, info.Metadata.ExifProfile!.GetValue(ExifTag.Orientation)!.Value);

        using var pixels = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 2, TargetWidth = 4 }, ImageDecodingOptions.Default);

        // Stored orientation: 4 wide, 2 high, red on the left. Not rotated to 2×4.
        AssertNear(250, pixels[0, 0, 0, 0].item<float>(), 8);
        AssertNear(250, pixels[0, 2, 1, 3].item<float>(), 8);
    }

    [Fact]
    public void Load_HugeDimensionsInJpegHeader_RejectedBeforeDecoding()
    {
        using var image = TestImages.Coordinates(8, 8);
        var bytes = TestImages.JpegBytes(image);
        var sof = SofOffset(bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 5), 65_000); // height
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 7), 65_000); // width
        var path = _temp.Combine("bomb.jpg");
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Equal(ImageFileProblem.TooManyPixels, ex.Problem);
        Assert.Contains("65000×65000", ex.Message);
    }

    [Fact]
    public void Load_TallSkinnyPngBomb_RejectedBySideLimit()
    {
        using var image = TestImages.Coordinates(1, 2);
        var path = _temp.Combine("skinny.png");
        File.WriteAllBytes(path, TestImages.WithDeclaredSize(TestImages.PngBytes(image), 1, 1 << 24)); // 16.7 Mpx, under MaxPixels

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Equal(ImageFileProblem.TooManyPixels, ex.Problem);
        Assert.Contains("1×16777216", ex.Message);
    }

    [Fact]
    public void LoadAndDataset_NonAsciiAndLongFileNames_Load()
    {
        var names = new[]
        {
            "chat-é-猫-🐱.png",
            new string('a', 251) + ".png", // 255 bytes, the usual file-name limit
            string.Concat(Enumerable.Repeat("é", 125)) + ".png", // 254 bytes of UTF-8
        };
        foreach (var name in names)
        {
            TestImages.WriteSolidPng(_temp.Combine("gatos-ñ", name), new Rgb24(9, 8, 7), 4);
        }

        TestImages.WriteSolidPng(_temp.Combine("собаки", "x.png"), new Rgb24(1, 2, 3), 4);
        var broken = _temp.Combine("gatos-ñ", "сломан-破損.png");
        File.WriteAllBytes(broken, [1, 2, 3]);

        using var x = ImageLoader.LoadPixels(_temp.Combine("gatos-ñ", names[1]), new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4 }, ImageDecodingOptions.Default);
        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(broken, new ImagePreprocessing()));
        using var ds = new ImageFolderDataset(new() { Directory = _temp.Path, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 }, BadFilePolicy = BadFilePolicy.Skip, Shuffle = false });
        var count = ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } });

        Assert.Equal(9f, x[0, 0, 0, 0].item<float>());
        Assert.Contains("сломан-破損.png", ex.Message);
        Assert.Equal(["gatos-ñ", "собаки"], ds.ClassNames);
        Assert.Equal(4, count);
        Assert.Equal(broken, ds.SkippedFiles.Single().Path);
    }

    [Fact]
    public void Dataset_MutualSymlinkCycleSelfLinkAndDanglingLink_WithFollowLinks_TerminatesWithExactCounts()
    {
        TestImages.WriteSolidPng(_temp.Combine("a", "a0.png"), new Rgb24(1, 1, 1), 4);
        TestImages.WriteSolidPng(_temp.Combine("b", "deep", "b0.png"), new Rgb24(2, 2, 2), 4);
        Directory.CreateSymbolicLink(_temp.Combine("a", "to-b"), _temp.Combine("b"));
        Directory.CreateSymbolicLink(_temp.Combine("b", "deep", "to-a"), _temp.Combine("a"));
        Directory.CreateSymbolicLink(_temp.Combine("a", "self"), _temp.Combine("a"));
        Directory.CreateSymbolicLink(_temp.Combine("b", "dangling"), _temp.Combine("nowhere"));
        var logger = new ListLogger();

        using var ds = new ImageFolderDataset(new() { Directory = _temp.Path, Classes = ["a", "b"], FollowLinks = true, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 }, Logger = logger });

        // Keras (os.walk followlinks=True) also reads b's file through a/to-b; every real directory is read once per class.
        Assert.Equal([2, 2], ds.ClassCounts);
        Assert.Equal(4, ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } }));
        Assert.Contains(logger.Entries, e => e.Message.Contains("link cycle", StringComparison.Ordinal));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Load_UnreadableFile_ThrowsUnreadableOrLoadsForRoot()
    {
        var path = TestImages.WriteSolidPng(_temp.Combine("locked.png"), new Rgb24(4, 5, 6), 4);
        File.SetUnixFileMode(path, UnixFileMode.None);
        var root = Environment.IsPrivilegedProcess;

        try
        {
            if (root)
            {
                // Root bypasses file permissions, so chmod 000 cannot make a file unreadable here; the other tests in this
                // class reach the same code path with a directory in place of the file and a file deleted after listing.
                using var x = ImageLoader.LoadPixels(path, new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4 }, ImageDecodingOptions.Default);
                Assert.Equal(4f, x[0, 0, 0, 0].item<float>());
            }
            else
            {
                var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));
                Assert.Equal(ImageFileProblem.Unreadable, ex.Problem);
                Assert.Equal(path, ex.FilePath);
            }
        }
        finally
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public void Load_DirectoryWhereAFileIsExpected_ThrowsUnreadableNamingIt()
    {
        var path = _temp.Combine("actually-a-folder.png");
        Directory.CreateDirectory(path);

        var ex = Assert.Throws<InvalidImageFileException>(() => ImageLoader.Load(path, new ImagePreprocessing()));

        Assert.Equal(ImageFileProblem.Unreadable, ex.Problem);
        Assert.Equal(path, ex.FilePath);
    }

    [Fact]
    public void Dataset_FileDeletedAfterListing_SkipPolicy_SkipsCountsAndWarns()
    {
        for (var i = 0; i < 4; i++)
        {
            TestImages.WriteSolidPng(_temp.Combine("c0", $"f{i}.png"), new Rgb24(10, 10, 10), 4);
            TestImages.WriteSolidPng(_temp.Combine("c1", $"f{i}.png"), new Rgb24(20, 20, 20), 4);
        }

        var logger = new ListLogger();
        using var ds = new ImageFolderDataset(new() { Directory = _temp.Path, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 }, BadFilePolicy = BadFilePolicy.Skip, BatchSize = 3, Seed = 1, Logger = logger });
        var gone = _temp.Combine("c1", "f2.png");
        File.Delete(gone);

        var count = ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } });

        Assert.Equal(7, count);
        Assert.Equal(7, ds.SampleCount);
        Assert.Equal([4, 3], ds.ClassCounts);
        var skipped = Assert.Single(ds.SkippedFiles);
        Assert.Equal(gone, skipped.Path);
        Assert.Equal(ImageFileProblem.Unreadable, skipped.Problem);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(gone, StringComparison.Ordinal));
    }

    [Fact]
    public void Dataset_FileReplacedByDirectoryAfterListing_ThrowPolicy_ThrowsNamingFile()
    {
        TestImages.WriteSolidPng(_temp.Combine("c0", "a.png"), new Rgb24(10, 10, 10), 4);
        TestImages.WriteSolidPng(_temp.Combine("c1", "b.png"), new Rgb24(20, 20, 20), 4);
        using var ds = new ImageFolderDataset(new() { Directory = _temp.Path, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 }, Shuffle = false, BatchSize = 1 });
        var victim = _temp.Combine("c1", "b.png");
        File.Delete(victim);
        Directory.CreateDirectory(victim);

        var ex = Assert.Throws<InvalidImageFileException>(() => ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } }));

        Assert.Equal(victim, ex.FilePath);
        Assert.Equal(ImageFileProblem.Unreadable, ex.Problem);
    }

    [Fact]
    public void Dataset_ClassFolderWithNestedAndHiddenFolders_ReadsNestedFilesSkipsHiddenOnes()
    {
        TestImages.WriteSolidPng(_temp.Combine("c", "top.png"), new Rgb24(1, 1, 1), 4);
        TestImages.WriteSolidPng(_temp.Combine("c", "x", "y", "z", "deep.png"), new Rgb24(1, 1, 1), 4);
        TestImages.WriteSolidPng(_temp.Combine("c", ".cache", "hidden.png"), new Rgb24(1, 1, 1), 4);
        TestImages.WriteSolidPng(_temp.Combine("c", "folder.png", "inside.png"), new Rgb24(1, 1, 1), 4); // a folder with an image extension
        TestImages.WriteSolidPng(_temp.Combine("d", "d.png"), new Rgb24(2, 2, 2), 4);

        using var ds = new ImageFolderDataset(new() { Directory = _temp.Path, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 } });

        Assert.Equal(["c", "d"], ds.ClassNames);
        Assert.Equal(
            [_temp.Combine("c", "top.png"), _temp.Combine("c", "folder.png", "inside.png"), _temp.Combine("c", "x", "y", "z", "deep.png"), _temp.Combine("d", "d.png")],
            ds.FilePaths);
        Assert.Equal(4, ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } }));
    }

    [Fact]
    public void Dataset_WholeBadCorpus_SkipPolicy_EveryBadFileSkippedWithItsProblemAndCounted()
    {
        using (var good = TestImages.Coordinates(6, 6))
        {
            TestImages.SavePng(good, _temp.Combine("good", "png.png"));
            TestImages.SaveJpeg(good, _temp.Combine("good", "jpeg.jpg"));
            File.WriteAllBytes(_temp.Combine("good", "png-named.jpg"), TestImages.PngBytes(good));
            File.WriteAllBytes(_temp.Combine("good", "progressive.jpg"), ProgressiveJpeg);
            var jpeg = TestImages.JpegBytes(good);
            var png = TestImages.PngBytes(good);
            Directory.CreateDirectory(_temp.Combine("bad"));
            File.WriteAllBytes(_temp.Combine("bad", "empty.jpg"), []);
            File.WriteAllBytes(_temp.Combine("bad", "truncated.jpg"), jpeg[..(jpeg.Length * 2 / 3)]);
            File.WriteAllBytes(_temp.Combine("bad", "truncated.png"), png[..(png.Length * 2 / 3)]);
            var noise = new byte[500];
            new Random(9).NextBytes(noise);
            File.WriteAllBytes(_temp.Combine("bad", "noise.jpg"), noise);
            File.WriteAllBytes(_temp.Combine("bad", "gif.jpg"), AnimatedGif());
            File.WriteAllBytes(_temp.Combine("bad", "bomb.png"), TestImages.WithDeclaredSize(png, 50_000, 50_000));
        }

        var logger = new ListLogger();
        using var ds = new ImageFolderDataset(new() { Directory = _temp.Path, Preprocessing = new() { TargetHeight = 6, TargetWidth = 6 }, BadFilePolicy = BadFilePolicy.Skip, Shuffle = false, BatchSize = 4, Logger = logger });

        var count = ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } });

        Assert.Equal(4, count);
        Assert.Equal([0, 4], ds.ClassCounts);
        var problems = ds.SkippedFiles.ToDictionary(s => Path.GetFileName(s.Path), s => s.Problem);
        Assert.Equal(ImageFileProblem.TooManyPixels, problems["bomb.png"]);
        Assert.Equal(ImageFileProblem.Empty, problems["empty.jpg"]);
        Assert.Equal(ImageFileProblem.FormatNotEnabled, problems["gif.jpg"]);
        Assert.Equal(ImageFileProblem.UnknownFormat, problems["noise.jpg"]);
        Assert.Equal(ImageFileProblem.Truncated, problems["truncated.jpg"]);
        Assert.Equal(ImageFileProblem.Truncated, problems["truncated.png"]);
        Assert.Equal(6, problems.Count);
        Assert.Equal(6, logger.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.StartsWith("Skipping image", StringComparison.Ordinal)));
        Assert.Contains(logger.Entries, e => e.Message.Contains("Skipped 6 unusable image files", StringComparison.Ordinal));
    }

    /// <summary>A 4×4 two-frame GIF: frame 0 red, frame 1 blue.</summary>
    internal static byte[] AnimatedGif()
    {
        using var gif = TestImages.Solid(4, 4, new Rgb24(255, 0, 0)).CloneAs<Rgba32>();
        using var second = new Image<Rgba32>(4, 4, new Rgba32(0, 0, 255, 255));
        gif.Frames.AddFrame(second.Frames.RootFrame);
        Assert.Equal(2, gif.Frames.Count);
        using var stream = new MemoryStream();
        gif.SaveAsGif(stream, new GifEncoder());
        return stream.ToArray();
    }

    private static int JpegComponentCount(byte[] jpeg) => jpeg[SofOffset(jpeg) + 9];

    /// <summary>The offset of the SOF0/1/2 marker (0xFF 0xCn); the segment holds length, precision, height, width, component count.</summary>
    private static int SofOffset(byte[] jpeg)
    {
        for (var i = 2; i + 1 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2)
            {
                return i;
            }
        }

        throw new InvalidOperationException("No SOF marker.");
    }

    private static void AssertNear(float expected, float actual, float tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"Expected {expected} ± {tolerance}, got {actual}.");
}
