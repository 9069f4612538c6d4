// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Models.Layers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

/// <summary>Small seeded models and data sets for the training tests.</summary>
internal static class TrainingTestData
{
    /// <summary>A tiny dense model on 4×4×1 images: Flatten → Dense(8, ReLU) → Dropout? → Dense(units, Softmax or Sigmoid).</summary>
    public static Model TinyModel(int seed, int units = 2, double dropout = 0)
    {
        manual_seed(seed);
        var builder = new SequentialBuilder(4, 4, 1).AddFlatten().AddDense(8, Activation.ReLU);
        if (dropout > 0)
        {
            builder.AddDropout(dropout);
        }

        return builder.AddDense(units, units == 1 ? Activation.Sigmoid : Activation.Softmax).Build();
    }

    /// <summary>
    /// Random 4×4×1 images; class 1 when the left half is brighter than the right half. Labels one-hot [N, 2]
    /// (or [N, 1] binary, or sparse [N]).
    /// </summary>
    public static InMemoryDataset Brightness(int count, int batchSize, int seed, ClassMode mode = ClassMode.Categorical, bool shuffle = false, float nanAt = -1)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator().manual_seed(seed);
        var images = rand([count, 1, 4, 4], generator: generator);
        var cls = images[.., .., .., ..2].mean([1, 2, 3]).gt(images[.., .., .., 2..].mean([1, 2, 3])).to_type(ScalarType.Int64);
        if (nanAt >= 0)
        {
            images[(long)nanAt, 0, 0, 0] = float.NaN;
        }

        Tensor labels = mode switch
        {
            ClassMode.Categorical => nn.functional.one_hot(cls, 2).to_type(ScalarType.Float32),
            ClassMode.Binary => cls.to_type(ScalarType.Float32).unsqueeze(1),
            _ => cls,
        };
        return new InMemoryDataset(images, labels, batchSize, mode, shuffle, seed);
    }

    /// <summary>
    /// Two-class colour images drawn with ImageSharp: class 0 = a filled disc, class 1 = a filled square, with random
    /// sizes, positions and colours on a random noisy background. Each image is standardized (zero mean, unit variance).
    /// </summary>
    public static InMemoryDataset Shapes(int count, int size, int batchSize, int seed, bool shuffle)
    {
        var random = new Random(seed);
        var data = new float[count * 3 * size * size];
        var labels = new float[count * 2];
        for (var n = 0; n < count; n++)
        {
            var square = n % 2 == 1;
            using var image = new Image<Rgb24>(size, size);
            var background = RandomColor(random);
            var foreground = RandomColor(random);
            while (Distance(background, foreground) < 120)
            {
                foreground = RandomColor(random);
            }

            var half = random.Next(size / 6, size / 3);
            var cx = random.Next(half + 1, size - half - 1);
            var cy = random.Next(half + 1, size - half - 1);
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    var inside = square
                        ? Math.Abs(x - cx) <= half && Math.Abs(y - cy) <= half
                        : ((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) <= half * half;
                    var c = inside ? foreground : background;
                    image[x, y] = new Rgb24(Noise(c.R, random), Noise(c.G, random), Noise(c.B, random));
                }
            }

            var offset = n * 3 * size * size;
            double sum = 0, sumSquares = 0;
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    var p = image[x, y];
                    ReadOnlySpan<byte> rgb = [p.R, p.G, p.B];
                    for (var ch = 0; ch < 3; ch++)
                    {
                        var v = rgb[ch] / 255f;
                        data[offset + (ch * size * size) + (y * size) + x] = v;
                        sum += v;
                        sumSquares += v * v;
                    }
                }
            }

            var total = 3 * size * size;
            var mean = sum / total;
            var std = Math.Sqrt(Math.Max(sumSquares / total - (mean * mean), 0)) + 1e-6;
            for (var i = 0; i < total; i++)
            {
                data[offset + i] = (float)((data[offset + i] - mean) / std);
            }

            labels[(n * 2) + (square ? 1 : 0)] = 1;
        }

        using var scope = NewDisposeScope();
        return new InMemoryDataset(tensor(data, [count, 3, size, size]), tensor(labels, [count, 2]), batchSize, ClassMode.Categorical, shuffle, seed, ["disc", "square"]);
    }

    /// <summary>Copies every parameter of the model to a flat array.</summary>
    public static float[] Weights(Model model)
    {
        using var scope = NewDisposeScope();
        return model.Module.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray();
    }

    private static Rgb24 RandomColor(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));

    private static double Distance(Rgb24 a, Rgb24 b) =>
        Math.Sqrt(((a.R - b.R) * (a.R - b.R)) + ((a.G - b.G) * (a.G - b.G)) + ((a.B - b.B) * (a.B - b.B)));

    private static byte Noise(byte value, Random random) => (byte)Math.Clamp(value + random.Next(-20, 21), 0, 255);
}
