// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using ConvViz.Augmentation;
using ConvViz.Imaging;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Benchmarks;

/// <summary>
/// Where the data pipeline's time goes, stage by stage, on one thread: read, decode, resize, to-tensor, augment,
/// standardise (per image, wall and CPU time), then whole passes of the dataset without training (cached and not).
/// Usage: <c>pipeline [DIR] [--images N] [--threads T]</c>.
/// </summary>
internal static class PipelineProfile
{
    public static int Run(string[] args)
    {
        var images = 500;
        var threads = 2;
        string? dir = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--images": images = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: dir = args[i]; break;
            }
        }

        set_num_threads(threads);
        dir ??= SyntheticJpegs.Ensure(SyntheticJpegs.DefaultRoot(1000), 1000);
        var files = Directory.EnumerateFiles(dir, "*.jp*g", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(images).ToArray();
        var pp = BlogData.Preprocessing;
        var decoding = ImageDecodingOptions.Default;
        var bytesPerImage = ImagePixels.BytesPerImage(pp);
        Console.WriteLine($"pipeline profile: {files.Length} files from {dir}, {threads} libtorch threads, {Environment.ProcessorCount} cores");

        // Warm-up.
        foreach (var f in files.Take(20))
        {
            ImagePixels.DecodeResized(SafeImageDecoder.ReadFile(f, decoding), f, pp, decoding, new byte[bytesPerImage]);
        }

        var data = new byte[files.Length][];
        Stage("read file", files.Length, () =>
        {
            for (var i = 0; i < files.Length; i++)
            {
                data[i] = SafeImageDecoder.ReadFile(files[i], decoding);
            }
        });
        Stage("decode (Rgb24 image)", files.Length, () =>
        {
            for (var i = 0; i < files.Length; i++)
            {
                using var image = SafeImageDecoder.Decode<Rgb24>(data[i], files[i], decoding);
            }
        });
        var pixels = new byte[files.Length * bytesPerImage];
        Stage("decode + nearest resize", files.Length, () =>
        {
            for (var i = 0; i < files.Length; i++)
            {
                ImagePixels.DecodeResized(data[i], files[i], pp, decoding, pixels.AsSpan(i * bytesPerImage, bytesPerImage));
            }
        });

        var batch = Blog.BatchSize;
        var batches = files.Length / batch;
        var augmenter = new Augmenter(BlogData.Augmentation);
        var tensors = new Tensor[batches];
        Stage("bytes -> float tensor", batches * batch, () =>
        {
            for (var b = 0; b < batches; b++)
            {
                tensors[b] = ImagePixels.ToTensor(pixels.AsSpan(b * batch * bytesPerImage, batch * bytesPerImage).ToArray(), batch, pp);
            }
        });
        var augmented = new Tensor[batches];
        Stage("augment (blog settings)", batches * batch, () =>
        {
            for (var b = 0; b < batches; b++)
            {
                augmented[b] = augmenter.Augment(tensors[b], Enumerable.Range(b * batch, batch).ToArray());
            }
        });
        Stage("standardize (rescale)", batches * batch, () =>
        {
            for (var b = 0; b < batches; b++)
            {
                using var s = pp.Standardize(augmented[b]);
            }
        });
        foreach (var t in tensors.Concat(augmented))
        {
            t.Dispose();
        }

        foreach (var cache in new[] { false, true })
        {
            using var folder = BlogData.Folder(dir, 1, cache: cache);
            if (cache)
            {
                foreach (var b in folder.GetBatches(0))
                {
                    b.Dispose();
                }
            }

            Stage($"dataset pass, 1 worker{(cache ? ", cached" : string.Empty)} (no training)", folder.SampleCount, () =>
            {
                foreach (var b in folder.GetBatches(1))
                {
                    b.Dispose();
                }
            });
        }

        return 0;
    }

    private static void Stage(string name, int count, Action action)
    {
        var cpu = CpuTimes.Now();
        var sw = Stopwatch.StartNew();
        action();
        var wall = sw.Elapsed.TotalMilliseconds;
        var used = CpuTimes.Now() - cpu;
        var cpuMs = (used.User + used.System) * 1000;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-45} {wall / count,8:F3} ms/img wall {cpuMs / count,8:F3} ms/img CPU  ({count / wall * 1000,7:F0} img/s)"));
    }
}
