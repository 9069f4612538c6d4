// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Data;

/// <summary>Keras' <c>flow_images_from_dataframe</c>: datasets from (file, label) lists and CSV files.</summary>
public sealed class FileListDatasetTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void FromFiles_ClassNames_RelativeAndAbsolutePaths_LabelsInListOrder()
    {
        var a = TestImages.WriteSolidPng(_temp.Combine("img", "a.png"), new Rgb24(10, 0, 0), 4);
        TestImages.WriteSolidPng(_temp.Combine("img", "b.png"), new Rgb24(20, 0, 0), 4);
        TestImages.WriteSolidPng(_temp.Combine("img", "c.png"), new Rgb24(30, 0, 0), 4);

        using var ds = ImageFolderDataset.FromFiles(
            [(a, "dog"), ("b.png", "cat"), ("c.png", "dog")],
            new() { Directory = _temp.Combine("img"), Shuffle = false, ClassMode = ClassMode.Sparse, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 } });
        var (reds, labels) = ReadAll(ds);

        Assert.Equal(["cat", "dog"], ds.ClassNames); // sorted, as Keras
        Assert.Equal([1, 0, 1], ds.FileLabels);
        Assert.Equal([10f, 20f, 30f], reds);
        Assert.Equal([1L, 0, 1], labels);
        Assert.Equal(_temp.Combine("img", "b.png"), ds.FilePaths[1]);
    }

    [Fact]
    public void FromFiles_ClassIndices_NameClassesByNumber()
    {
        var p = TestImages.WriteSolidPng(_temp.Combine("x.png"), new Rgb24(1, 2, 3), 4);

        using var ds = ImageFolderDataset.FromFiles([(p, 2), (p, 0)], new() { Directory = _temp.Path, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 } });

        Assert.Equal(["0", "1", "2"], ds.ClassNames);
        Assert.Equal([2, 0], ds.FileLabels);
        Assert.Throws<ArgumentException>(() => ImageFolderDataset.FromFiles([(p, 3)], new() { Directory = _temp.Path, Classes = ["a", "b"] }));
    }

    [Fact]
    public void FromCsv_HeaderQuotedFieldsAndUnlistedClass_ReadsLikeADataFrame()
    {
        TestImages.WriteSolidPng(_temp.Combine("a, quoted.png"), new Rgb24(40, 0, 0), 4);
        TestImages.WriteSolidPng(_temp.Combine("b.png"), new Rgb24(50, 0, 0), 4);
        var csv = _temp.Combine("labels.csv");
        File.WriteAllText(csv, "id,class,filename\r\n1,cat,\"a, quoted.png\"\r\n2,dog,b.png\r\n3,bird,b.png\r\n");
        var logger = new ListLogger();

        using var ds = ImageFolderDataset.FromCsv(csv, "filename", "class", new() { Directory = _temp.Path, Classes = ["cat", "dog"], Shuffle = false, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 }, Logger = logger });
        var (reds, labels) = ReadAll(ds);

        Assert.Equal([40f, 50f], reds);
        Assert.Equal([0L, 1], labels);
        Assert.Contains(logger.Entries, e => e.Message.Contains("Left out 1 listed files", StringComparison.Ordinal));
        var ex = Assert.Throws<InvalidDataException>(() => ImageFolderDataset.FromCsv(csv, "path", "class", new() { Directory = _temp.Path }));
        Assert.Contains("no column 'path'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("id, class, filename", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFiles_MissingAndBrokenFiles_FollowTheBadFilePolicy()
    {
        var good = TestImages.WriteSolidPng(_temp.Combine("good.png"), new Rgb24(60, 0, 0), 4);
        var broken = _temp.Combine("broken.png");
        File.WriteAllBytes(broken, [1, 2, 3]);
        ImageFolderDatasetOptions Options(BadFilePolicy policy) => new() { Directory = _temp.Path, Shuffle = false, BadFilePolicy = policy, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 } };

        using var skipping = ImageFolderDataset.FromFiles([(good, "a"), ("missing.png", "b"), (broken, "b")], Options(BadFilePolicy.Skip));
        using var throwing = ImageFolderDataset.FromFiles([(good, "a"), ("missing.png", "b")], Options(BadFilePolicy.Throw));

        Assert.Single(ReadAll(skipping).Reds);
        Assert.Equal([ImageFileProblem.Unreadable, ImageFileProblem.UnknownFormat], skipping.SkippedFiles.Select(s => s.Problem));
        var ex = Assert.Throws<InvalidImageFileException>(() => ReadAll(throwing));
        Assert.Equal(_temp.Combine("missing.png"), ex.FilePath);
    }

    [Fact]
    public void FromFiles_ValidationSplit_TakesTheFirstRows()
    {
        var files = Enumerable.Range(0, 10).Select(i => (TestImages.WriteSolidPng(_temp.Combine($"{i}.png"), new Rgb24((byte)i, 0, 0), 4), i % 2 == 0 ? "even" : "odd")).ToList();
        ImageFolderDatasetOptions Options(DatasetSubset subset) => new() { Directory = _temp.Path, ValidationSplit = 0.3, Subset = subset, Shuffle = false, Preprocessing = new() { TargetHeight = 4, TargetWidth = 4 } };

        using var validation = ImageFolderDataset.FromFiles(files, Options(DatasetSubset.Validation));
        using var training = ImageFolderDataset.FromFiles(files, Options(DatasetSubset.Training));

        Assert.Equal([0f, 1f, 2f], ReadAll(validation).Reds);
        Assert.Equal(7, training.SampleCount);
        Assert.Equal(_temp.Combine("3.png"), training.FilePaths[0]);
    }

    [Fact]
    public void FromFiles_SameFilesAsAFolder_GivesTheSameAugmentedBatches()
    {
        var random = new Random(3);
        foreach (var cls in new[] { "cats", "dogs" })
        {
            for (var i = 0; i < 3; i++)
            {
                using var image = TestImages.Solid(8, 8, new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
                image[random.Next(8), random.Next(8)] = new Rgb24(255, 255, 255);
                TestImages.SavePng(image, _temp.Combine(cls, $"{i}.png"));
            }
        }

        var options = new ImageFolderDatasetOptions
        {
            Directory = _temp.Path,
            Seed = 5,
            BatchSize = 4,
            Preprocessing = new() { TargetHeight = 6, TargetWidth = 6, Rescale = 1.0 / 255 },
            Augmenter = new Augmenter(new AugmentationOptions { RotationRange = 30, HorizontalFlip = true }),
        };
        using var folder = new ImageFolderDataset(options);
        using var list = ImageFolderDataset.FromFiles(folder.FilePaths.Zip(folder.FileLabels, (p, l) => (p, folder.ClassNames[l])), options);

        var compared = 0;
        foreach (var (x, y) in folder.GetBatches(1).Zip(list.GetBatches(1)))
        {
            compared++;
            using (x)
            using (y)
            {
                Assert.True(x.Images.allclose(y.Images), "the list dataset's augmented images differ from the folder dataset's");
                Assert.True(x.Labels!.eq(y.Labels!).all().item<bool>());
            }
        }

        Assert.Equal(2, compared);
    }

    private static (float[] Reds, long[] Labels) ReadAll(ImageFolderDataset ds)
    {
        var reds = new List<float>();
        var labels = new List<long>();
        foreach (var batch in ds.GetBatches(0))
        {
            using (batch)
            {
                reds.AddRange(batch.Images[.., 0, 0, 0].data<float>().ToArray());
                var l = batch.Labels!;
                labels.AddRange(l.dim() == 2 && l.shape[1] > 1 ? l.argmax(1).data<long>().ToArray() : l.to_type(ScalarType.Int64).reshape(-1).data<long>().ToArray());
            }
        }

        return ([.. reds], [.. labels]);
    }
}
