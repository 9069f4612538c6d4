// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Attributes;
using ConvViz.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ConvViz.Benchmarks;

/// <summary>
/// Decoding one JPEG to RGB: ConvViz's own decoder (pixels identical to Pillow's) against ImageSharp 2.1's on the
/// same bytes, per image. The files are the Pillow-made parity fixtures (151×149, baseline and progressive 4:2:0) and
/// the repository's chelsea photo re-encoded at 180×180 and 500×375 (4:2:0, quality 75).
/// </summary>
public class JpegDecodeBenchmarks
{
    private static readonly ImageDecodingOptions s_options = ImageDecodingOptions.Default;
    private byte[] _data = [];

    /// <summary>Gets or sets the file decoded.</summary>
    [Params("baseline-420-151x149.jpg", "progressive-420-151x149.jpg", "chelsea-180x180.jpg", "chelsea-500x375.jpg")]
    public string File { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup() => _data = Load(File);

    [Benchmark(Baseline = true)]
    public int ConvViz()
    {
        using var image = SafeImageDecoder.Decode<Rgb24>(_data, File, s_options);
        return image.Width;
    }

    [Benchmark]
    public int ImageSharp()
    {
        using var image = Image.Load<Rgb24>(SafeImageDecoder.GetConfiguration(s_options.Formats), _data);
        return image.Width;
    }

    /// <summary>Reads a parity fixture, or re-encodes the chelsea photo at the size in the name.</summary>
    /// <param name="file">The benchmark file name.</param>
    /// <returns>The JPEG bytes.</returns>
    internal static byte[] Load(string file)
    {
        var assets = Path.Combine(RepositoryRoot(), "tests", "ConvViz.Tests", "TestAssets");
        if (!file.StartsWith("chelsea-", StringComparison.Ordinal))
        {
            return System.IO.File.ReadAllBytes(Path.Combine(assets, "Parity", "jpeg", file));
        }

        var size = file["chelsea-".Length..^".jpg".Length].Split('x');
        using var photo = Image.Load<Rgb24>(Path.Combine(assets, "chelsea.png"));
        photo.Mutate(c => c.Resize(int.Parse(size[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(size[1], System.Globalization.CultureInfo.InvariantCulture)));
        using var stream = new MemoryStream();
        photo.SaveAsJpeg(stream, new JpegEncoder { Quality = 75, ColorType = JpegColorType.YCbCrRatio420 });
        return stream.ToArray();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "ConvViz.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Run the benchmarks from inside the ConvViz repository (the JPEG files are its test assets).");
    }
}
