// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.RegularExpressions;
using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Data;

/// <summary>Keras' <c>save_to_dir</c> / <c>save_prefix</c> / <c>save_format</c> on a dataset.</summary>
public sealed class SaveToDirectoryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void GetBatches_SaveToDirectory_WritesEachYieldedImageAsKerasNamesIt()
    {
        WriteImages();
        var output = _temp.Combine("saved");
        using var ds = new ImageFolderDataset(new()
        {
            Directory = _temp.Combine("data"),
            Seed = 3,
            Shuffle = false,
            BatchSize = 8,
            Preprocessing = new() { TargetHeight = 8, TargetWidth = 8, SamplewiseStdNormalization = true },
            Augmenter = new Augmenter(new AugmentationOptions { RotationRange = 40 }),
            SaveToDirectory = output,
            SavePrefix = "aug",
        });

        float[] yielded;
        using (var batch = ds.GetBatches(0).Single())
        {
            yielded = batch.Images[1].contiguous().data<float>().ToArray(); // file index 1, channels first
        }

        var files = Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, files.Length);
        var matches = files.Select(f => Regex.Match(f!, @"^aug_(\d+)_(\d{1,7})\.png$")).ToArray();
        Assert.All(matches, m => Assert.True(m.Success));
        Assert.Equal(["0", "1", "2"], matches.Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal));

        // After standardisation, min–max scaled to 0–255 and truncated (array_to_img(scale = TRUE)).
        using var saved = Image.Load<Rgb24>(Path.Combine(output, files.Single(f => f!.StartsWith("aug_1_", StringComparison.Ordinal))!));
        var min = yielded.Min();
        var range = yielded.Max() - min;
        var plane = 64;
        for (var y = 0; y < 8; y++)
        {
            for (var x = 0; x < 8; x++)
            {
                var p = saved[x, y];
                Assert.Equal((yielded[(y * 8) + x] - min) / range * 255, p.R, 1.01);
                Assert.Equal((yielded[(2 * plane) + (y * 8) + x] - min) / range * 255, p.B, 1.01);
            }
        }

        // Another pass draws other hashes; the same pass again writes the same names.
        foreach (var b in ds.GetBatches(1))
        {
            b.Dispose();
        }

        foreach (var b in ds.GetBatches(0))
        {
            b.Dispose();
        }

        Assert.Equal(6, Directory.GetFiles(output).Length);
    }

    [Fact]
    public void GetBatches_SaveFormatJpeg_UsesTheJpegExtension()
    {
        WriteImages();
        var output = _temp.Combine("jpeg");
        using var ds = new ImageFolderDataset(new() { Directory = _temp.Combine("data"), Seed = 1, Preprocessing = new() { TargetHeight = 8, TargetWidth = 8 }, SaveToDirectory = output, SaveFormat = SavedImageFormat.Jpeg });

        foreach (var b in ds.GetBatches(0))
        {
            b.Dispose();
        }

        var files = Directory.GetFiles(output);
        Assert.Equal(3, files.Length);
        Assert.All(files, f => Assert.Matches(@"[/\\]_\d+_\d+\.jpeg$", f));
        using var image = Image.Load<Rgb24>(files[0]);
        Assert.Equal(8, image.Width);
    }

    [Fact]
    public void SavePrefix_WithASlash_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ImageFolderDatasetOptions { Directory = "x", SavePrefix = "../up" });

        Assert.Equal("SavePrefix", ex.ParamName);
    }

    private void WriteImages()
    {
        var random = new Random(2);
        foreach (var (cls, count) in new[] { ("a", 2), ("b", 1) })
        {
            for (var i = 0; i < count; i++)
            {
                using var image = new Image<Rgb24>(8, 8);
                for (var y = 0; y < 8; y++)
                {
                    for (var x = 0; x < 8; x++)
                    {
                        image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                    }
                }

                TestImages.SavePng(image, _temp.Combine("data", cls, $"{i}.png"));
            }
        }
    }
}
