// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Data;
using ConvViz.Imaging;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Data;

public sealed class ImageFolderDatasetTests : IDisposable
{
    private static readonly Rgb24 s_catColor = new(200, 10, 10);
    private static readonly Rgb24 s_dogColor = new(10, 10, 200);
    private static readonly TorchSharp.Scalar s_hundred = Scalars.Permanent(100);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Constructor_LogsFoundImagesAndIndexesClasses()
    {
        CreateCatsAndDogs(cats: 3, dogs: 2);
        var logger = new ListLogger();

        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Logger = logger });

        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message == "Found 5 images belonging to 2 classes.");
        Assert.Equal(["cats", "dogs"], ds.ClassNames);
        Assert.Equal(1, ds.ClassIndices["dogs"]);
        Assert.Equal([3, 2], ds.ClassCounts);
        Assert.Equal(5, ds.SampleCount);
    }

    [Fact]
    public void BlogGenerator_TranslatesOneToOne()
    {
        // image_data_generator(rotation_range = 40, width_shift_range = 0.2, height_shift_range = 0.2, shear_range = 0.2,
        //   zoom_range = 0.2, horizontal_flip = TRUE, samplewise_std_normalization = TRUE)
        // flow_images_from_directory(dir, generator, color_mode = "rgb", target_size = c(150, 150), batch_size = 50,
        //   class_mode = "categorical", shuffle = TRUE)
        var random = new Random(2);
        for (var i = 0; i < 55; i++)
        {
            using var image = TestImages.Coordinates(16 + random.Next(8), 12 + random.Next(8));
            TestImages.SaveJpeg(image, _temp.Combine(i % 2 == 0 ? "cats" : "dogs", $"{(i % 2 == 0 ? "cat" : "dog")}.{i}.jpg"));
        }

        var generator = new Augmenter(new AugmentationOptions
        {
            RotationRange = 40,
            WidthShiftRange = 0.2,
            HeightShiftRange = 0.2,
            ShearRange = 0.2,
            ZoomRange = AugmentationRange.Zoom(0.2),
            HorizontalFlip = true,
        });
        var logger = new ListLogger();
        using var flow = new ImageFolderDataset(new ImageFolderDatasetOptions
        {
            Directory = _temp.Path,
            Preprocessing = new ImagePreprocessing { TargetHeight = 150, TargetWidth = 150, ColorMode = ColorMode.Rgb, SamplewiseStdNormalization = true },
            Augmenter = generator,
            BatchSize = 50,
            ClassMode = ClassMode.Categorical,
            Shuffle = true,
            Logger = logger,
        });

        var batches = flow.GetBatches(0).ToList();
        try
        {
            Assert.Contains(logger.Entries, e => e.Message == "Found 55 images belonging to 2 classes.");
            Assert.Equal([50, 5], batches.Select(b => b.Count));
            Assert.Equal([50L, 3, 150, 150], batches[0].Images.shape);
            Assert.Equal([50L, 2], batches[0].Labels!.shape);
            var perImageMean = batches[0].Images.mean([1, 2, 3]);
            var perImageStd = batches[0].Images.std([1, 2, 3], unbiased: false);
            Assert.True(perImageMean.abs().max().item<float>() < 1e-4);
            Assert.True(perImageStd.sub(Scalars.One).abs().max().item<float>() < 1e-3);
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public void Constructor_ClassesInOrdinalOrder()
    {
        foreach (var name in new[] { "b", "B", "a", "10", "2" })
        {
            TestImages.WriteSolidPng(_temp.Combine(name, "x.png"), s_catColor);
        }

        using var ds = Create(o => o);

        Assert.Equal(["10", "2", "B", "a", "b"], ds.ClassNames);
    }

    [Fact]
    public void Constructor_FilesRecursiveAndSortedByFolderThenName()
    {
        TestImages.WriteSolidPng(_temp.Combine("c", "z.png"), s_catColor);
        TestImages.WriteSolidPng(_temp.Combine("c", "a.PNG"), s_catColor);
        TestImages.WriteSolidPng(_temp.Combine("c", "sub", "b.png"), s_catColor);
        File.WriteAllText(_temp.Combine("c", "notes.txt"), "not an image");

        using var ds = Create(o => o);

        Assert.Equal([_temp.Combine("c", "a.PNG"), _temp.Combine("c", "z.png"), _temp.Combine("c", "sub", "b.png")], ds.FilePaths);
    }

    [Fact]
    public void Constructor_ExplicitClasses_SetLabelOrder()
    {
        CreateCatsAndDogs(cats: 1, dogs: 1);

        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Classes = ["dogs", "cats"] });

        Assert.Equal(["dogs", "cats"], ds.ClassNames);
        Assert.Equal([_temp.Combine("dogs", "dog0.png"), _temp.Combine("cats", "cat0.png")], ds.FilePaths);
        Assert.Equal([0, 1], ds.FileLabels);
    }

    [Fact]
    public void GetBatches_CategoricalBatches_LastPartial_LabelsMatchImages()
    {
        CreateCatsAndDogs(cats: 3, dogs: 2);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, BatchSize = 2, Seed = 1 });

        var batches = ds.GetBatches(0).ToList();
        try
        {
            Assert.Equal(3, ds.BatchesPerEpoch);
            Assert.Equal([2, 2, 1], batches.Select(b => b.Count));
            Assert.Equal([2L, 3, 4, 4], batches[0].Images.shape);
            Assert.Equal([2L, 2], batches[0].Labels!.shape);
            Assert.Equal(ScalarType.Float32, batches[0].Labels!.dtype);
            var cats = 0;
            foreach (var batch in batches)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    var isCat = batch.Images[i, 0, 0, 0].item<float>() > 100;
                    Assert.Equal(isCat ? 1f : 0f, batch.Labels![i, 0].item<float>());
                    Assert.Equal(isCat ? 0f : 1f, batch.Labels![i, 1].item<float>());
                    cats += isCat ? 1 : 0;
                }
            }

            Assert.Equal(3, cats);
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }
    }

    [Theory]
    [InlineData(ClassMode.Binary)]
    [InlineData(ClassMode.Sparse)]
    [InlineData(ClassMode.Input)]
    [InlineData(ClassMode.None)]
    public void GetBatches_ClassModes_HaveKerasLayouts(ClassMode mode)
    {
        CreateCatsAndDogs(cats: 2, dogs: 1);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, ClassMode = mode, Shuffle = false, BatchSize = 3 });

        using var batch = ds.GetBatches(0).Single();

        switch (mode)
        {
            case ClassMode.Binary:
                Assert.Equal([3L, 1], batch.Labels!.shape);
                Assert.Equal(ScalarType.Float32, batch.Labels.dtype);
                Assert.Equal(new float[] { 0, 0, 1 }, batch.Labels.flatten().data<float>().ToArray());
                break;
            case ClassMode.Sparse:
                Assert.Equal(ScalarType.Int64, batch.Labels!.dtype);
                Assert.Equal(new long[] { 0, 0, 1 }, batch.Labels.data<long>().ToArray());
                break;
            case ClassMode.Input:
                Assert.True(batch.Labels!.equal(batch.Images).all().item<bool>());
                break;
            default:
                Assert.Null(batch.Labels);
                break;
        }
    }

    [Fact]
    public void Constructor_BinaryWithThreeClasses_Throws()
    {
        CreateCatsAndDogs(1, 1);
        TestImages.WriteSolidPng(_temp.Combine("fox", "f.png"), s_catColor);

        var ex = Assert.Throws<ArgumentException>(() => Create(o => new() { Directory = o.Directory, ClassMode = ClassMode.Binary }));

        Assert.Contains("exactly two classes", ex.Message);
    }

    [Fact]
    public void GetBatches_NoShuffle_KeepsSortedOrder_ShuffleIsSeededPerEpoch()
    {
        for (var i = 0; i < 12; i++)
        {
            TestImages.WriteSolidPng(_temp.Combine("c", $"{i:D2}.png"), new Rgb24((byte)(i * 10), 0, 0));
        }

        using var sorted = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Shuffle = false, BatchSize = 12 });
        using var a = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Seed = 42, BatchSize = 12 });
        using var b = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Seed = 42, BatchSize = 12 });

        var order = Reds(sorted, 0);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 10f), order);
        Assert.Equal(Reds(a, 0), Reds(b, 0));
        Assert.NotEqual(order, Reds(a, 0));
        Assert.NotEqual(Reds(a, 0), Reds(a, 1));
        Assert.Equal(order.Order(), Reds(a, 1).Order());
    }

    [Fact]
    public void ValidationSplit_FirstFilesOfEachClassAreValidation()
    {
        CreateCatsAndDogs(cats: 5, dogs: 3);

        using var validation = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, ValidationSplit = 0.4, Subset = DatasetSubset.Validation });
        using var training = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, ValidationSplit = 0.4, Subset = DatasetSubset.Training });

        // ⌊0.4 · 5⌋ = 2 cats and ⌊0.4 · 3⌋ = 1 dog.
        Assert.Equal([_temp.Combine("cats", "cat0.png"), _temp.Combine("cats", "cat1.png"), _temp.Combine("dogs", "dog0.png")], validation.FilePaths);
        Assert.Equal([3, 2], training.ClassCounts);
        Assert.Empty(validation.FilePaths.Intersect(training.FilePaths));
    }

    [Fact]
    public void Constructor_SubsetWithoutSplit_Throws()
    {
        CreateCatsAndDogs(1, 1);

        Assert.Throws<ArgumentException>(() => Create(o => new() { Directory = o.Directory, Subset = DatasetSubset.Validation }));
    }

    [Fact]
    public void GetBatches_Augmenter_DeterministicAndIndependentOfWorkers()
    {
        for (var i = 0; i < 7; i++)
        {
            using var image = TestImages.Coordinates(6, 6);
            TestImages.SavePng(image, _temp.Combine("c", $"{i}.png"));
        }

        var augmenter = new Augmenter(new AugmentationOptions { RotationRange = 30, HorizontalFlip = true, ZoomRange = AugmentationRange.Zoom(0.3) });
        ImageFolderDatasetOptions Options(int workers) => new()
        {
            Directory = _temp.Path,
            Preprocessing = new ImagePreprocessing { TargetHeight = 6, TargetWidth = 6 },
            Augmenter = augmenter,
            Seed = 5,
            BatchSize = 3,
            WorkerCount = workers,
            PrefetchBatches = 3,
        };
        using var one = new ImageFolderDataset(Options(1));
        using var three = new ImageFolderDataset(Options(3));
        using var inline = new ImageFolderDataset(Options(0));

        var a = Collect(one, 0);
        var b = Collect(three, 0);
        var c = Collect(one, 1);
        var d = Collect(inline, 0);

        Assert.True(a.equal(b).all().item<bool>());
        Assert.True(a.equal(d).all().item<bool>());
        Assert.False(a.equal(c).all().item<bool>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GetBatches_InlineBatches_EqualWorkerBatchesWithSkippedFiles(bool cache)
    {
        CreateCatsAndDogs(cats: 6, dogs: 5);
        File.WriteAllBytes(_temp.Combine("cats", "cat2.png"), []);
        File.WriteAllBytes(_temp.Combine("dogs", "dog3.png"), [1, 2, 3]);
        var augmenter = new Augmenter(new AugmentationOptions { RotationRange = 30, HorizontalFlip = true, WidthShiftRange = 0.2 });
        ImageFolderDataset Open(int workers) => new(new ImageFolderDatasetOptions
        {
            Directory = _temp.Path,
            Preprocessing = new ImagePreprocessing { TargetHeight = 5, TargetWidth = 6, Rescale = 1.0 / 255 },
            Augmenter = augmenter,
            BadFilePolicy = BadFilePolicy.Skip,
            CacheImages = cache,
            Seed = 11,
            BatchSize = 4,
            WorkerCount = workers,
        });
        using var background = Open(1);
        using var inline = Open(0);

        for (var epoch = 0; epoch < 2; epoch++)
        {
            var expected = background.GetBatches(epoch).ToList();
            var actual = inline.GetBatches(epoch).ToList();
            try
            {
                Assert.Equal(expected.Select(b => b.Count), actual.Select(b => b.Count));
                for (var i = 0; i < expected.Count; i++)
                {
                    Assert.True(expected[i].Images.equal(actual[i].Images).all().item<bool>(), $"epoch {epoch}, batch {i}: images differ");
                    Assert.True(expected[i].Labels!.equal(actual[i].Labels!).all().item<bool>(), $"epoch {epoch}, batch {i}: labels differ");
                }
            }
            finally
            {
                expected.ForEach(b => b.Dispose());
                actual.ForEach(b => b.Dispose());
            }
        }

        Assert.Equal(9, inline.SampleCount);
        Assert.Equal(background.SkippedFiles.Select(f => f.Path), inline.SkippedFiles.Select(f => f.Path));
    }

    [Fact]
    public void GetBatches_InlineBatches_ThrowPolicyNamesFirstBadFileOfBatch()
    {
        CreateCatsAndDogs(cats: 4, dogs: 0);
        var first = _temp.Combine("cats", "cat1.png");
        File.WriteAllBytes(first, []);
        File.WriteAllBytes(_temp.Combine("cats", "cat3.png"), [1, 2, 3]);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Shuffle = false, BatchSize = 4, WorkerCount = 0 });

        var ex = Assert.Throws<InvalidImageFileException>(() => DisposeAll(ds.GetBatches(0)));

        Assert.Equal(first, ex.FilePath);
        Assert.Equal(ImageFileProblem.Empty, ex.Problem);
    }

    [Fact]
    public void GetBatches_DefaultWorkersOnCpu_BuildsEachBatchWhenAskedOnTheAskingThread()
    {
        Assert.False(cuda.is_available()); // the test machines have no GPU; there the default is one background worker
        CreateCatsAndDogs(cats: 3, dogs: 3);
        var threads = new List<int>();
        using var ds = Create(o => new()
        {
            Directory = o.Directory,
            Preprocessing = o.Preprocessing,
            BatchSize = 2,
            Shuffle = false,
            PreprocessingFunction = x =>
            {
                lock (threads)
                {
                    threads.Add(Environment.CurrentManagedThreadId);
                }

                return x.alias();
            },
        });

        using var enumerator = ds.GetBatches(0).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        enumerator.Current.Dispose();

        // Nothing was built ahead: one batch asked for, one built, on this thread.
        Assert.Equal([Environment.CurrentManagedThreadId], threads);
        while (enumerator.MoveNext())
        {
            enumerator.Current.Dispose();
        }

        Assert.Equal(3, threads.Count);
        Assert.All(threads, t => Assert.Equal(Environment.CurrentManagedThreadId, t));
    }

    [Fact]
    public void GetBatches_InlineBatchAskedForInsideAScope_OutlivesTheScope()
    {
        CreateCatsAndDogs(cats: 2, dogs: 2);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, BatchSize = 4, WorkerCount = 0 });

        Batch batch;
        using (NewDisposeScope())
        {
            batch = ds.GetBatches(0).Single();
        }

        using (batch)
        {
            Assert.False(batch.Images.IsInvalid);
            Assert.Equal(4, batch.Count);
        }
    }

    [Fact]
    public void Options_NegativeWorkerCount_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ImageFolderDatasetOptions { Directory = _temp.Path, WorkerCount = -1 });

        Assert.Equal("WorkerCount", ex.ParamName);
    }

    [Fact]
    public void GetBatches_ValidationNotAugmented_WhenDisabled()
    {
        CreateCatsAndDogs(cats: 4, dogs: 4);
        var augmenter = new Augmenter(new AugmentationOptions { ChannelShiftRange = 100 });
        ImageFolderDatasetOptions Options(bool augmentValidation) => new()
        {
            Directory = _temp.Path,
            Preprocessing = new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4 },
            Augmenter = augmenter,
            ValidationSplit = 0.5,
            Subset = DatasetSubset.Validation,
            AugmentValidation = augmentValidation,
            Shuffle = false,
        };
        using var clean = new ImageFolderDataset(Options(false));
        using var augmented = new ImageFolderDataset(Options(true));

        using var cleanImages = Collect(clean, 0);
        using var augmentedImages = Collect(augmented, 0);

        using var dark = Scalars.Create(10);
        using var bright = Scalars.Create(200);
        Assert.True(cleanImages.eq(dark).logical_or(cleanImages.eq(bright)).all().item<bool>());
        Assert.False(cleanImages.equal(augmentedImages).all().item<bool>());
    }

    [Fact]
    public void GetBatches_Cache_GivesSameImagesEveryPass()
    {
        CreateCatsAndDogs(cats: 3, dogs: 3);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, CacheImages = true, Shuffle = false });

        using var first = Collect(ds, 0);
        foreach (var file in ds.FilePaths)
        {
            File.Delete(file);
        }

        using var second = Collect(ds, 1);

        Assert.True(first.equal(second).all().item<bool>());
    }

    [Fact]
    public void GetBatches_CacheMemoryLimit_KeepsOnlyWhatFitsAndSaysSo()
    {
        using var scope = NewDisposeScope();
        CreateCatsAndDogs(cats: 3, dogs: 3);
        var logger = new ListLogger();

        // 4×4 RGB = 48 bytes per image: room for exactly two.
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, CacheMemoryLimit = 100, Shuffle = false, Logger = logger });
        using var first = Collect(ds, 0);
        foreach (var file in ds.FilePaths)
        {
            TestImages.WriteSolidPng(file, new Rgb24(7, 7, 7));
        }

        using var second = Collect(ds, 1);

        // Two images come from the cache (the old colours), the other four from the rewritten files.
        using var seven = Scalars.Create(7);
        var rewritten = Enumerable.Range(0, 6).Count(i => second[i].eq(seven).all().item<bool>());
        var kept = Enumerable.Range(0, 6).Count(i => second[i].equal(first[i]).all().item<bool>());
        Assert.Equal(4, rewritten);
        Assert.Equal(2, kept);
        Assert.Single(logger.Entries, e => e.Message.StartsWith("The decoded-image cache is full at 2 of 6 images", StringComparison.Ordinal));
    }

    [Fact]
    public void GetBatches_WithAndWithoutCache_GiveTheSameAugmentedPixels()
    {
        // Keras decodes every epoch; the cache must not change what reaches the network (augmentation stays live).
        var dir = Path.Combine(_temp.Path, "photos");
        for (var i = 0; i < 6; i++)
        {
            using var image = TestImages.Coordinates(23 + i, 17);
            TestImages.SaveJpeg(image, Path.Combine(dir, i % 2 == 0 ? "a" : "b", $"p{i}.jpg"));
        }

        var augmenter = new Augmenter(new AugmentationOptions { RotationRange = 40, WidthShiftRange = 0.2, ShearRange = 0.2, ZoomRange = AugmentationRange.Zoom(0.2), HorizontalFlip = true });
        ImageFolderDataset Open(bool cache) => new(new ImageFolderDatasetOptions
        {
            Directory = dir,
            Preprocessing = new ImagePreprocessing { TargetHeight = 12, TargetWidth = 15, Rescale = 1.0 / 255 },
            Augmenter = augmenter,
            BatchSize = 4,
            Seed = 11,
            CacheImages = cache,
        });
        using var cached = Open(cache: true);
        using var uncached = Open(cache: false);

        for (var epoch = 0; epoch < 3; epoch++)
        {
            using var a = Collect(cached, epoch);
            using var b = Collect(uncached, epoch);
            Assert.True(a.equal(b).all().item<bool>(), $"epoch {epoch}: cached and uncached batches differ");
        }
    }

    [Theory]
    [InlineData(ColorMode.Rgb, FillMode.Nearest, 1.0 / 255)]
    [InlineData(ColorMode.Rgb, FillMode.Constant, 1.0 / 255)]
    [InlineData(ColorMode.Rgb, FillMode.Reflect, null)]
    [InlineData(ColorMode.Rgb, FillMode.Wrap, 0.5)]
    [InlineData(ColorMode.Rgb, FillMode.GridWrap, 1.0 / 255)]
    [InlineData(ColorMode.Grayscale, FillMode.Nearest, 1.0 / 255)]
    [InlineData(ColorMode.Rgba, FillMode.Reflect, 1.0 / 127)]
    public void GetBatches_OnePassPerImage_EqualsAugmentThenStandardize(ColorMode colorMode, FillMode fillMode, double? rescale)
    {
        // Without a preprocessing function the dataset warps, flips and rescales each image's bytes in one managed
        // pass; an identity preprocessing function forces the general path (Augment on the batch tensor, then
        // Standardize). What reaches the network must be the same bits.
        var dir = Path.Combine(_temp.Path, "photos");
        for (var i = 0; i < 6; i++)
        {
            using var image = TestImages.Coordinates(23 + i, 17);
            TestImages.SaveJpeg(image, Path.Combine(dir, i % 2 == 0 ? "a" : "b", $"p{i}.jpg"));
        }

        var augmenter = new Augmenter(new AugmentationOptions
        {
            RotationRange = 40,
            WidthShiftRange = 0.3,
            HeightShiftRange = 0.3,
            ShearRange = 0.2,
            ZoomRange = AugmentationRange.Zoom(0.3),
            HorizontalFlip = true,
            VerticalFlip = true,
            FillMode = fillMode,
            FillValue = 37,
        });
        ImageFolderDataset Open(bool general) => new(new ImageFolderDatasetOptions
        {
            Directory = dir,
            Preprocessing = new ImagePreprocessing { TargetHeight = 13, TargetWidth = 19, ColorMode = colorMode, Rescale = rescale },
            Augmenter = augmenter,
            BatchSize = 4,
            Seed = 5,
            PreprocessingFunction = general ? x => x.alias() : null,
        });
        using var onePass = Open(general: false);
        using var general = Open(general: true);

        for (var epoch = 0; epoch < 3; epoch++)
        {
            using var a = Collect(onePass, epoch);
            using var b = Collect(general, epoch);
            Assert.Equal(b.shape, a.shape);
            Assert.True(a.equal(b).all().item<bool>(), $"epoch {epoch}: the one-pass and general paths differ by up to {a.sub(b).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void GetBatches_WithoutAugmentation_OnePassEqualsStandardize()
    {
        CreateCatsAndDogs(cats: 3, dogs: 2);
        ImageFolderDataset Open(bool general) => new(new ImageFolderDatasetOptions
        {
            Directory = _temp.Path,
            Preprocessing = new ImagePreprocessing { TargetHeight = 5, TargetWidth = 7, Rescale = 1.0 / 255 },
            Shuffle = false,
            PreprocessingFunction = general ? x => x.alias() : null,
        });
        using var onePass = Open(general: false);
        using var general = Open(general: true);

        using var a = Collect(onePass, 0);
        using var b = Collect(general, 0);

        Assert.True(a.equal(b).all().item<bool>());
    }

    [Fact]
    public void GetBatches_BadFileThrowPolicy_ThrowsNamingFile()
    {
        CreateCatsAndDogs(cats: 2, dogs: 2);
        var bad = _temp.Combine("cats", "cat1.png");
        File.WriteAllBytes(bad, []);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Shuffle = false, BatchSize = 1 });

        var ex = Assert.Throws<InvalidImageFileException>(() => DisposeAll(ds.GetBatches(0)));

        Assert.Equal(bad, ex.FilePath);
        Assert.Equal(ImageFileProblem.Empty, ex.Problem);
    }

    [Fact]
    public void GetBatches_SkipPolicy_SkipsLogsAndReconcilesCounts()
    {
        CreateCatsAndDogs(cats: 4, dogs: 3);
        File.WriteAllBytes(_temp.Combine("cats", "cat2.png"), []);
        var noise = new byte[300];
        new Random(3).NextBytes(noise);
        File.WriteAllBytes(_temp.Combine("dogs", "dog1.png"), noise);
        var logger = new ListLogger();
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, BadFilePolicy = BadFilePolicy.Skip, BatchSize = 2, Seed = 3, Logger = logger });

        var images = 0;
        var labels = 0;
        foreach (var batch in ds.GetBatches(0))
        {
            using (batch)
            {
                images += batch.Count;
                labels += (int)batch.Labels!.shape[0];
                Assert.Equal(batch.Count, (int)batch.Labels.sum().item<float>());
            }
        }

        Assert.Equal(5, images);
        Assert.Equal(5, labels);
        Assert.Equal(5, ds.SampleCount);
        Assert.Equal([3, 2], ds.ClassCounts);
        Assert.Equal(2, ds.SkippedFiles.Count);
        Assert.Equal([ImageFileProblem.Empty, ImageFileProblem.UnknownFormat], ds.SkippedFiles.Select(s => s.Problem));
        Assert.Equal(2, logger.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.StartsWith("Skipping image", StringComparison.Ordinal)));
        Assert.Contains(logger.Entries, e => e.Message.Contains("Skipped 2 unusable image files", StringComparison.Ordinal));

        // The second pass leaves the known bad files out without logging them again.
        Assert.Equal(5, ds.GetBatches(1).Sum(b => { using (b) { return b.Count; } }));
        Assert.Equal(2, logger.Entries.Count(e => e.Message.StartsWith("Skipping image", StringComparison.Ordinal)));
    }

    [Fact]
    public void Constructor_ValidateFilesOnOpen_ExcludesBadFilesFromCount()
    {
        CreateCatsAndDogs(cats: 3, dogs: 2);
        using (var image = TestImages.Coordinates(4, 4))
        {
            var bytes = TestImages.PngBytes(image);
            File.WriteAllBytes(_temp.Combine("cats", "cat0.png"), bytes[..(bytes.Length / 2)]);
        }

        var logger = new ListLogger();
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, BadFilePolicy = BadFilePolicy.Skip, ValidateFilesOnOpen = true, Logger = logger });

        Assert.Equal(4, ds.SampleCount);
        Assert.Equal([2, 2], ds.ClassCounts);
        Assert.Equal(ImageFileProblem.Truncated, ds.SkippedFiles.Single().Problem);
        Assert.Contains(logger.Entries, e => e.Message == "Found 4 images belonging to 2 classes.");
        Assert.Equal(4, ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } }));
    }

    [Fact]
    public void Constructor_ValidateFilesOnOpenThrowPolicy_Throws()
    {
        CreateCatsAndDogs(cats: 1, dogs: 1);
        File.WriteAllBytes(_temp.Combine("dogs", "dog0.png"), []);

        Assert.Throws<InvalidImageFileException>(() => Create(o => new() { Directory = o.Directory, ValidateFilesOnOpen = true }));
    }

    [Fact]
    public void Constructor_EmptyClassFolder_WarnsAndKeepsClass()
    {
        CreateCatsAndDogs(cats: 2, dogs: 0);
        Directory.CreateDirectory(_temp.Combine("dogs"));
        var logger = new ListLogger();

        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Logger = logger });

        Assert.Equal(2, ds.ClassNames.Count);
        Assert.Equal([2, 0], ds.ClassCounts);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("'dogs' has no images", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_MissingDirectory_ThrowsNamingIt()
    {
        var missing = _temp.Combine("nope");

        var ex = Assert.Throws<DirectoryNotFoundException>(() => new ImageFolderDataset(new() { Directory = missing }));

        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public void Constructor_NoClassFoldersOrNoImages_ThrowsInvalidData()
    {
        TestImages.WriteSolidPng(_temp.Combine("loose.png"), s_catColor);
        Assert.Throws<InvalidDataException>(() => Create(o => o));

        Directory.CreateDirectory(_temp.Combine("empty"));
        Assert.Throws<InvalidDataException>(() => Create(o => o));
    }

    [Fact]
    public void Constructor_MissingExplicitClass_Throws()
    {
        CreateCatsAndDogs(1, 1);

        Assert.Throws<DirectoryNotFoundException>(() => Create(o => new() { Directory = o.Directory, Classes = ["cats", "birds"] }));
    }

    [Fact]
    public void Constructor_SymlinkCycleWithFollowLinks_Terminates()
    {
        CreateCatsAndDogs(cats: 2, dogs: 1);
        Directory.CreateDirectory(_temp.Combine("cats", "nested"));
        TestImages.WriteSolidPng(_temp.Combine("cats", "nested", "n.png"), s_catColor);
        Directory.CreateSymbolicLink(_temp.Combine("cats", "nested", "loop"), _temp.Combine("cats"));
        Directory.CreateSymbolicLink(_temp.Combine("dogs", "more-dogs"), _temp.Combine("extra"));
        TestImages.WriteSolidPng(_temp.Combine("extra", "e.png"), s_dogColor);
        Directory.Delete(_temp.Combine("extra"), recursive: true);
        Directory.CreateDirectory(_temp.Combine("other"));
        TestImages.WriteSolidPng(_temp.Combine("other-files", "o.png"), s_dogColor);
        Directory.CreateSymbolicLink(_temp.Combine("dogs", "linked"), _temp.Combine("other-files"));

        using var follow = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, FollowLinks = true, Classes = ["cats", "dogs"] });
        using var noFollow = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Classes = ["cats", "dogs"] });

        Assert.Equal([3, 2], follow.ClassCounts);
        Assert.Equal([3, 1], noFollow.ClassCounts);
    }

    [Fact]
    public void Constructor_DisabledFormatFiles_IgnoredWithOneCountedWarningPerFormat()
    {
        CreateCatsAndDogs(1, 1);
        File.WriteAllBytes(_temp.Combine("cats", "scan.tif"), [0x49, 0x49, 0x2A, 0x00]);
        File.WriteAllBytes(_temp.Combine("dogs", "scan.tif"), [0x49, 0x49, 0x2A, 0x00]);
        File.WriteAllBytes(_temp.Combine("dogs", "photo.TIF"), [0x49, 0x49, 0x2A, 0x00]);
        var logger = new ListLogger();

        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Logger = logger });

        Assert.Equal(2, ds.SampleCount);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("'.tif'", StringComparison.Ordinal));
        Assert.Contains("Ignored 3 '.tif' files", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_DefaultFormats_ListKerasExtensionsWithoutTiff()
    {
        CreateCatsAndDogs(1, 1);
        using (var image = TestImages.Coordinates(4, 4))
        {
            image.SaveAsBmp(_temp.Combine("cats", "old.bmp"));
        }

        File.WriteAllBytes(_temp.Combine("dogs", "scan.ppm"), [.. "P6 1 1 255\n"u8, 10, 20, 30]);
        File.WriteAllBytes(_temp.Combine("dogs", "grey.pgm"), [.. "P5 1 1 255\n"u8, 10]); // not in Keras' list
        var logger = new ListLogger();

        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, Logger = logger, Shuffle = false, BatchSize = 8 });
        var count = ds.GetBatches(0).Sum(b => { using (b) { return b.Count; } });

        Assert.Equal([2, 2], ds.ClassCounts);
        Assert.Equal(4, count);
        Assert.Empty(ds.SkippedFiles);
        Assert.Equal([".bmp", ".jpeg", ".jpg", ".png", ".ppm"], [.. ImageFolderScanner.Extensions(ImageFormats.Default).Order(StringComparer.Ordinal)]);
    }

    [Fact]
    public void GetBatches_BreakEarly_StopsWorkersAndCanRestart()
    {
        CreateCatsAndDogs(cats: 10, dogs: 10);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, BatchSize = 2, WorkerCount = 2 });

        foreach (var batch in ds.GetBatches(0))
        {
            batch.Dispose();
            break;
        }

        Assert.Equal(20, ds.GetBatches(1).Sum(b => { using (b) { return b.Count; } }));
    }

    [Fact]
    public void GetBatches_Cancelled_Throws()
    {
        CreateCatsAndDogs(cats: 4, dogs: 4);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, BatchSize = 2 });
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => DisposeAll(ds.GetBatches(0, cts.Token)));
    }

    [Fact]
    public void GetBatches_StandardizesWithPreprocessing()
    {
        CreateCatsAndDogs(cats: 1, dogs: 1);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4, Rescale = 1.0 / 255 }, Shuffle = false });

        using var images = Collect(ds, 0);

        Assert.Equal(200f / 255, images[0, 0, 0, 0].item<float>(), 1e-6f);
    }

    [Fact]
    public void GetBatches_Grayscale_HasOneChannel()
    {
        CreateCatsAndDogs(cats: 1, dogs: 1);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = new ImagePreprocessing { TargetHeight = 3, TargetWidth = 5, ColorMode = ColorMode.Grayscale }, Shuffle = false });

        using var images = Collect(ds, 0);

        Assert.Equal([2L, 1, 3, 5], images.shape);
        Assert.Equal(((200 * 19595) + (10 * 38470) + (10 * 7471) + 32768) >> 16, (int)images[0, 0, 0, 0].item<float>());
    }

    [Fact]
    public void GetBatches_PreprocessingFunction_RunsBeforeStandardization()
    {
        CreateCatsAndDogs(cats: 1, dogs: 1);
        using var ds = Create(o => new()
        {
            Directory = o.Directory,
            Preprocessing = new ImagePreprocessing { TargetHeight = 2, TargetWidth = 2, Rescale = 0.5 },
            PreprocessingFunction = x => x.add(s_hundred, Scalars.One),
            Shuffle = false,
        });

        using var images = Collect(ds, 0);

        Assert.Equal((200 + 100) * 0.5f, images[0, 0, 0, 0].item<float>(), 1e-4f);
    }

    [Fact]
    public void GetBatches_PreprocessingFunctionChangingShape_Throws()
    {
        CreateCatsAndDogs(cats: 1, dogs: 1);
        using var ds = Create(o => new() { Directory = o.Directory, Preprocessing = o.Preprocessing, PreprocessingFunction = x => x.mean([1], keepdim: true) });

        Assert.Throws<InvalidOperationException>(() => DisposeAll(ds.GetBatches(0)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void GetBatches_PrefetchQueue_IsBounded(int prefetch)
    {
        CreateCatsAndDogs(cats: 10, dogs: 10);
        var worker = new WorkerPauses();
        using var ds = Create(o => new()
        {
            Directory = o.Directory,
            Preprocessing = o.Preprocessing,
            BatchSize = 1,
            WorkerCount = 1,
            PrefetchBatches = prefetch,
            PreprocessingFunction = x =>
            {
                worker.OnBuilt();
                return x.clone();
            },
        });

        using var enumerator = ds.GetBatches(0).GetEnumerator();
        for (var taken = 1; taken <= 5; taken++)
        {
            Assert.True(enumerator.MoveNext());
            enumerator.Current.Dispose();

            // The worker fills the queue and builds one batch more, which it holds until there is room: it then waits
            // with exactly taken + prefetch + 1 batches built (a worker that does not wait ends after all 20).
            Assert.Equal(taken + prefetch + 1, worker.WaitForPause(atLeast: taken + prefetch + 1));
        }
    }

    private static float[] Reds(ImageFolderDataset ds, int epoch)
    {
        using var images = Collect(ds, epoch);
        return images[.., 0, 0, 0].data<float>().ToArray();
    }

    private static Tensor Collect(ImageFolderDataset ds, int epoch)
    {
        var batches = ds.GetBatches(epoch).ToList();
        try
        {
            return cat(batches.Select(b => b.Images).ToList(), 0);
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }
    }

    private static void DisposeAll(IEnumerable<Batch> batches)
    {
        foreach (var batch in batches)
        {
            batch.Dispose();
        }
    }

    private ImageFolderDataset Create(Func<ImageFolderDatasetOptions, ImageFolderDatasetOptions> configure) =>
        new(configure(new ImageFolderDatasetOptions { Directory = _temp.Path, Preprocessing = new ImagePreprocessing { TargetHeight = 4, TargetWidth = 4 } }));

    private void CreateCatsAndDogs(int cats, int dogs)
    {
        for (var i = 0; i < cats; i++)
        {
            TestImages.WriteSolidPng(_temp.Combine("cats", $"cat{i}.png"), s_catColor);
        }

        for (var i = 0; i < dogs; i++)
        {
            TestImages.WriteSolidPng(_temp.Combine("dogs", $"dog{i}.png"), s_dogColor);
        }
    }

    /// <summary>
    /// Sees, without sleeping, where the dataset's worker stops. The preprocessing function (run by the worker for every
    /// batch) tags the worker's execution context with the number of batches built so far, in an <see cref="AsyncLocal{T}"/>.
    /// The AsyncLocal's change handler runs on that thread when the thread leaves the context, which happens only when
    /// the worker's async loop suspends (it awaits room in a full queue) or ends; a worker that never waits for room
    /// therefore reports only its end, after the last batch.
    /// </summary>
    private sealed class WorkerPauses
    {
        private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
        private readonly AsyncLocal<int?> _tag;
        private readonly System.Threading.Channels.Channel<int> _pauses = System.Threading.Channels.Channel.CreateUnbounded<int>();
        private int _built;
        private int _thread;

        public WorkerPauses() => _tag = new AsyncLocal<int?>(OnChanged);

        /// <summary>Called by the worker once per batch it builds.</summary>
        public void OnBuilt()
        {
            var built = Interlocked.Increment(ref _built);
            Volatile.Write(ref _thread, Environment.CurrentManagedThreadId);
            _tag.Value = built;
        }

        /// <summary>Waits (at most 30 s) until the worker suspends or ends with at least <paramref name="atLeast"/> batches built.</summary>
        /// <returns>The number of batches built when it suspended or ended.</returns>
        public int WaitForPause(int atLeast)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < s_timeout)
            {
                while (_pauses.Reader.TryRead(out var built))
                {
                    if (built >= atLeast)
                    {
                        return built;
                    }
                }

                _pauses.Reader.WaitToReadAsync().AsTask().Wait(s_timeout - clock.Elapsed);
            }

            Assert.Fail($"The worker did not stop with {atLeast} batches built within {s_timeout.TotalSeconds} s (it has built {Volatile.Read(ref _built)}).");
            return -1;
        }

        private void OnChanged(AsyncLocalValueChangedArgs<int?> args)
        {
            if (args.ThreadContextChanged && args.PreviousValue is { } built && args.CurrentValue is null
                && Environment.CurrentManagedThreadId == Volatile.Read(ref _thread))
            {
                _pauses.Writer.TryWrite(built);
            }
        }
    }
}
