// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Benchmarks;

/// <summary>
/// Generates a two-class image folder (<c>cats/</c>, <c>dogs/</c>) of JPEGs, 500×375 by default (the typical
/// PetImages size), with random filled shapes on a noisy gradient. Seeded: the same arguments give the same files,
/// and an existing complete folder is reused.
/// </summary>
internal static class SyntheticJpegs
{
    public static readonly string[] ClassNames = ["cats", "dogs"];

    public static string DefaultRoot(int count) => Path.Combine(Path.GetTempPath(), $"convviz-bench-jpegs-{count}");

    /// <summary>Makes sure <paramref name="root"/> holds <paramref name="count"/> JPEGs split evenly over two classes.</summary>
    /// <returns>The folder.</returns>
    public static string Ensure(string root, int count, int width = 500, int height = 375, int seed = 1234)
    {
        var marker = Path.Combine(root, $".complete-{count}-{width}x{height}-{seed}");
        if (File.Exists(marker))
        {
            return root;
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        foreach (var name in ClassNames)
        {
            Directory.CreateDirectory(Path.Combine(root, name));
        }

        var encoder = new JpegEncoder { Quality = 85 };
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var cls = i % 2;
            using var image = Draw(width, height, cls, new Random(HashCode.Combine(seed, i)));
            var file = Path.Combine(root, ClassNames[cls], $"{ClassNames[cls][..3]}.{i / 2:D5}.jpg");
            image.SaveAsJpeg(file, encoder);
        });
        File.WriteAllText(marker, DateTime.UtcNow.ToString("O"));
        return root;
    }

    /// <summary>Draws one picture: class 0 mostly ellipses, class 1 mostly rectangles, so a model can learn something.</summary>
    public static Image<Rgb24> Draw(int width, int height, int cls, Random random)
    {
        var image = new Image<Rgb24>(width, height);
        var b0 = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        var b1 = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        var shapes = new (bool Ellipse, int Cx, int Cy, int Rx, int Ry, Rgb24 Color)[random.Next(4, 9)];
        for (var s = 0; s < shapes.Length; s++)
        {
            var ellipse = random.NextDouble() < (cls == 0 ? 0.8 : 0.2);
            shapes[s] = (ellipse, random.Next(width), random.Next(height), random.Next(15, width / 3), random.Next(15, height / 3),
                new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        }

        var noiseSeed = random.Next();
        image.ProcessPixelRows(accessor =>
        {
            var noise = new Random(noiseSeed);
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                var t = (float)y / height;
                for (var x = 0; x < row.Length; x++)
                {
                    var n = noise.Next(-12, 13);
                    var c = new Rgb24(Mix(b0.R, b1.R, t, n), Mix(b0.G, b1.G, t, n), Mix(b0.B, b1.B, t, n));
                    foreach (var (ellipse, cx, cy, rx, ry, color) in shapes)
                    {
                        float dx = (x - cx) / (float)rx, dy = (y - cy) / (float)ry;
                        var inside = ellipse ? (dx * dx) + (dy * dy) <= 1f : MathF.Abs(dx) <= 1f && MathF.Abs(dy) <= 1f;
                        if (inside)
                        {
                            c = color;
                        }
                    }

                    row[x] = c;
                }
            }
        });
        return image;
    }

    private static byte Mix(byte a, byte b, float t, int noise) => (byte)Math.Clamp((int)((a * (1 - t)) + (b * t)) + noise, 0, 255);
}
