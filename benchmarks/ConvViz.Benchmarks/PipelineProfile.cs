// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using ConvViz.Augmentation;
using ConvViz.Data;
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
        var kernels = false;
        string? dir = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--images": images = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--kernels": kernels = true; break;
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
        if (kernels)
        {
            Kernels(pixels.AsSpan(0, batch * bytesPerImage).ToArray(), batch, augmenter);
            return 0;
        }

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

    /// <summary>The per-batch kernels on one batch, each the fastest of several runs (steadier than one pass under load).</summary>
    private static void Kernels(byte[] pixels, int batch, Augmenter augmenter)
    {
        var pp = BlogData.Preprocessing;
        var seeds = Enumerable.Range(0, batch).ToArray();
        using var images = ImagePixels.ToTensor(pixels, batch, pp);
        var values = TensorData.ToArray(images);
        using var augmented = augmenter.Augment(images, seeds);
        Fastest("bytes -> float tensor (ToTensor)", batch, () => ImagePixels.ToTensor(pixels, batch, pp).Dispose());
        Fastest("tensor -> float[] (TensorData.ToArray)", batch, () => TensorData.ToArray(images));
        Fastest("float[] -> tensor (torch.tensor)", batch, () => tensor(values, images.shape).Dispose());
        Fastest("augment (blog settings)", batch, () => augmenter.Augment(images, seeds).Dispose());
        Fastest("standardize (rescale)", batch, () => pp.Standardize(augmented).Dispose());

        // The dataset's path since the fused kernel: per image bytes -> warped, flipped, rescaled planar floats, one tensor.
        IPixelAugmenter fused = augmenter;
        var bytesPerImage = ImagePixels.BytesPerImage(pp);
        var size = pp.Channels * pp.TargetHeight * pp.TargetWidth;
        var scale = (float)pp.Rescale!.Value;
        Fastest("fused: bytes -> augmented, rescaled tensor", batch, () =>
        {
            var output = new float[batch * size];
            for (var i = 0; i < batch; i++)
            {
                fused.AugmentPixels(pixels.AsSpan(i * bytesPerImage, bytesPerImage), pp.Channels, pp.TargetHeight, pp.TargetWidth, seeds[i], scale, output.AsSpan(i * size, size));
            }

            tensor(output, images.shape).Dispose();
        });
        var reused = new float[batch * size];
        Fastest("  of which the per-image kernel alone", batch, () =>
        {
            for (var i = 0; i < batch; i++)
            {
                fused.AugmentPixels(pixels.AsSpan(i * bytesPerImage, bytesPerImage), pp.Channels, pp.TargetHeight, pp.TargetWidth, seeds[i], scale, reused.AsSpan(i * size, size));
            }
        });
        Fastest("  bytes -> planar floats alone (no warp)", batch, () =>
        {
            for (var i = 0; i < batch; i++)
            {
                ImagePixels.ToPlanar(pixels.AsSpan(i * bytesPerImage, bytesPerImage), pp.Channels, reused.AsSpan(i * size, size), scale);
            }
        });
    }

    private static void Fastest(string name, int count, Action action)
    {
        // Thread CPU time (this thread only): what the kernel costs a data worker, steady under other processes' load.
        var best = double.MaxValue;
        var bestCpu = double.MaxValue;
        for (var i = 0; i < 9; i++)
        {
            var cpu = CpuTimes.ThreadSeconds();
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            bestCpu = Math.Min(bestCpu, (CpuTimes.ThreadSeconds() - cpu) * 1000);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-42} {best / count,8:F3} ms/img wall {bestCpu / count,8:F3} ms/img thread CPU  (fastest of 9, batch {count})"));
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
