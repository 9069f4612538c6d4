// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Tests.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// Seeded mutation fuzzing of the two parsers that read untrusted files: the image loader and <see cref="Model.Load(string)"/>.
/// Each run asserts that every input either loads or fails with the defined exception; anything else (another
/// exception type, a crash, a hang past 20 seconds) fails the test and prints the seed and iteration to reproduce it.
/// The image run has a fixed number of inputs and asserts the exact number loaded for its seed, and that every input
/// that cannot be a readable image (no known signature, GIF under the defaults, a strict PNG without IEND or JPEG
/// without EOI) was refused. The model-file run is bounded by an iteration count and a time budget.
/// Inputs that once failed are kept as regression tests in <see cref="ImageCorpusTests"/> and <see cref="ModelFileTests"/>.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private const int Seed = 20261128;
    private const int ImageIterations = 5000;
    private const int ExpectedLoaded = 1102;
    private const int ExpectedMustRefuse = 1160;
    private const int ModelIterations = 2500;
    private const int ExpectedModelsLoaded = 14;
    private static readonly TimeSpan s_hangLimit = TimeSpan.FromSeconds(20);
    private static readonly byte[] s_interestingBytes = [0x00, 0xFF, 0x7F, 0x80, 0x01];
    private static readonly uint[] s_interestingWords = [0, 1, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ImageLoader_MutatedImages_LoadOrThrowInvalidImageFile()
    {
        var seeds = ImageSeeds();
        var strict = ImageDecodingOptions.Default;
        var lenient = new ImageDecodingOptions { AllowTruncatedImages = true, Formats = ImageFormats.Default | ImageFormats.Gif, MaxPixels = 1 << 20 };
        var preprocessing = new ImagePreprocessing { TargetHeight = 8, TargetWidth = 8 };
        var random = new Random(Seed);
        var (loaded, rejected, mustRefuse) = (0, 0, 0);
        var problems = new SortedDictionary<ImageFileProblem, int>();

        // A fixed number of inputs (no time budget), so the counts below depend on the seed only.
        for (var iteration = 0; iteration < ImageIterations; iteration++)
        {
            var input = Mutate(seeds[random.Next(seeds.Length)], random);
            var isStrict = iteration % 2 == 0;
            var outcome = RunBounded(() =>
            {
                using var scope = NewDisposeScope();
                using var stream = new MemoryStream(input, writable: false);
                var x = ImageLoader.LoadPixels(stream, preprocessing, isStrict ? strict : lenient);
                Assert.Equal([1L, 3, 8, 8], x.shape);
            });
            var refusal = KnownRefusal(input, isStrict);
            switch (outcome)
            {
                case null:
                    Assert.True(refusal is null, $"Image fuzz iteration {iteration} (seed {Seed}) loaded an input that must be refused: {refusal} (it starts with {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 16)))}).");
                    loaded++;
                    break;
                case InvalidImageFileException ex:
                    Assert.True(Enum.IsDefined(ex.Problem), $"Image fuzz iteration {iteration} (seed {Seed}): undefined problem {ex.Problem}.");
                    Assert.False(string.IsNullOrWhiteSpace(ex.Message));
                    rejected++;
                    problems[ex.Problem] = problems.GetValueOrDefault(ex.Problem) + 1;
                    mustRefuse += refusal is null ? 0 : 1;
                    break;
                default:
                    Assert.Fail($"Image fuzz iteration {iteration} (seed {Seed}) threw {outcome.GetType().Name}: {outcome}");
                    break;
            }
        }

        // Exact counts for this seed, ConvViz's own JPEG decoder and the pinned ImageSharp: a change means the loader accepts or refuses other inputs
        // than before. If that is intended (a decoder update), check the new counts and update them here.
        var summary = $"loaded {loaded}, rejected {rejected} ({string.Join(", ", problems.Select(p => $"{p.Key} {p.Value}"))}), of which {mustRefuse} must be refused";
        Assert.True((loaded, rejected, mustRefuse) == (ExpectedLoaded, ImageIterations - ExpectedLoaded, ExpectedMustRefuse), summary);
    }

    [Fact]
    public void ModelLoad_MutatedModelFiles_LoadOrThrowInvalidData()
    {
        var original = ModelFileTests.SmallModelBytes(_temp.Path);
        var header = ModelFileTests.ReadHeader(original);
        var noChecksum = ModelFileTests.ReadHeader(StripChecksum(original, header));
        var path = _temp.Combine("fuzz.safetensors");
        var random = new Random(Seed);
        var (loaded, rejected) = (0, 0);
        for (var iterations = 0; iterations < ModelIterations; iterations++)
        {
            var input = (iterations % 3) switch
            {
                0 => MutateJson(original, header, random),
                1 => MutateJson(original, noChecksum, random),
                _ => Mutate(original, random),
            };
            File.WriteAllBytes(path, input);
            var outcome = RunBounded(() =>
            {
                var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                Exception? error = null;
                try
                {
                    using var scope = NewDisposeScope();
                    Model.Load(path).Dispose();
                }
                catch (Exception ex)
                {
                    error = ex;
                    throw;
                }
                finally
                {
                    Assert.True(before == DisposeScopeManager.Statistics.ThreadTotalLiveCount, $"Native tensors leaked by Model.Load ({error?.Message ?? "loaded"}).");
                }
            });
            switch (outcome)
            {
                case null:
                    loaded++;
                    break;
                case InvalidDataException ex when ex.Message.Contains(path, StringComparison.Ordinal):
                    rejected++;
                    break;
                default:
                    Assert.Fail($"Model fuzz iteration {iterations} (seed {Seed}) threw {outcome.GetType().Name}: {outcome}");
                    break;
            }
        }

        // A fixed number of inputs, so the counts depend only on the seed: every one is either loaded or refused with
        // InvalidDataException naming the file (checked above), and exactly these many of each.
        Assert.True((loaded, rejected) == (ExpectedModelsLoaded, ModelIterations - ExpectedModelsLoaded), $"loaded {loaded}, rejected {rejected} of {ModelIterations}");
    }

    /// <summary>Runs <paramref name="action"/> on a worker thread; returns its exception (or null) and fails on a hang.</summary>
    private static Exception? RunBounded(Action action)
    {
        var task = Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!task.Wait(s_hangLimit))
            {
                Assert.Fail($"An input took longer than {s_hangLimit.TotalSeconds} s (a hang).");
            }

            return null;
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
        {
            return ex.InnerException;
        }
    }

    /// <summary>
    /// Why an input must be refused whatever the decoders do, or null when it may load: the start is no longer the
    /// signature of any format the loader could read (PNG, JPEG, GIF, BMP 'BM', netpbm 'P1'…'P7'); GIF under the strict
    /// defaults, which do not enable it; or, under the strict defaults, a PNG without an IEND chunk or a JPEG without an
    /// EOI marker (a truncated file).
    /// </summary>
    private static string? KnownRefusal(byte[] input, bool strict)
    {
        ReadOnlySpan<byte> png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        ReadOnlySpan<byte> jpeg = [0xFF, 0xD8];
        var span = input.AsSpan();
        var isPng = span.StartsWith(png);
        // ImageSharp also takes a JFIF or Exif marker at offset 6 for JPEG, with any first bytes (Pillow does not).
        var isJpeg = span.StartsWith(jpeg) || (span.Length >= 11 && (span[6..11].SequenceEqual("JFIF\0"u8) || span[6..11].SequenceEqual("Exif\0"u8)));
        var isGif = span.StartsWith("GIF8"u8);
        var maybeOwn = span.StartsWith("BM"u8) || (span.Length >= 2 && span[0] == (byte)'P' && span[1] is >= (byte)'1' and <= (byte)'7');
        if (!isPng && !isJpeg && !isGif && !maybeOwn)
        {
            return "no known signature";
        }

        if (!strict)
        {
            return null;
        }

        if (isGif)
        {
            return "GIF is not enabled by default";
        }

        if (isPng && span.IndexOf("IEND"u8) < 0)
        {
            return "a PNG without IEND";
        }

        ReadOnlySpan<byte> eoi = [0xFF, 0xD9];
        return isJpeg && span.IndexOf(eoi) < 0 ? "a JPEG without EOI" : null;
    }

    private static byte[][] ImageSeeds()
    {
        using var rgb = TestImages.Coordinates(12, 9);
        using var rgba = rgb.CloneAs<Rgba32>();
        using var gray = rgb.CloneAs<L8>();
        using var deep = rgb.CloneAs<Rgb48>();
        return
        [
            TestImages.PngBytes(rgb),
            Encode(s => rgba.SaveAsPng(s)),
            Encode(s => deep.SaveAsPng(s, new PngEncoder { BitDepth = PngBitDepth.Bit16 })),
            Encode(s => rgb.SaveAsPng(s, new PngEncoder { ColorType = PngColorType.Palette })),
            Encode(s => rgb.SaveAsPng(s, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 })),
            TestImages.JpegBytes(rgb),
            Encode(s => gray.SaveAsJpeg(s, new JpegEncoder { ColorType = JpegColorType.Luminance })),
            Encode(s => rgb.SaveAsJpeg(s, new JpegEncoder { ColorType = JpegColorType.YCbCrRatio420, Quality = 50 })),
            ImageCorpusTests.ProgressiveJpeg,
            ImageCorpusTests.AnimatedGif(),
            .. new[] { "progressive-420.jpg", "own-restart-420.jpg", "cmyk-adobe.jpg", "own-440-37x29.jpg" }
                .Select(f => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestAssets", "Parity", "jpeg", f))),
        ];
    }

    private static byte[] Encode(Action<Stream> save)
    {
        using var stream = new MemoryStream();
        save(stream);
        return stream.ToArray();
    }

    /// <summary>Byte-level mutations: bit flips, random bytes, interesting values, truncation, insertion, deletion, duplication.</summary>
    private static byte[] Mutate(byte[] seed, Random random)
    {
        var data = new List<byte>(seed);
        var rounds = 1 + random.Next(4);
        for (var r = 0; r < rounds && data.Count > 0; r++)
        {
            // Most parsing happens near the start (headers), so bias positions towards it.
            var at = random.Next(4) == 0 ? random.Next(data.Count) : random.Next(Math.Min(data.Count, 96));
            switch (random.Next(8))
            {
                case 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    data[at] = (byte)random.Next(256);
                    break;
                case 2:
                    data[at] = s_interestingBytes[random.Next(s_interestingBytes.Length)];
                    break;
                case 3:
                    data.RemoveRange(at, data.Count - at); // truncation
                    break;
                case 4:
                    data.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                    break;
                case 5:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(16)));
                    break;
                case 6:
                    var length = Math.Min(data.Count - at, 1 + random.Next(32));
                    data.InsertRange(at, data.GetRange(at, length));
                    break;
                default:
                    // A 16- or 32-bit big-endian field set to an extreme: image dimensions and chunk lengths.
                    if (at + 4 <= data.Count)
                    {
                        var bytes = new byte[4];
                        BinaryPrimitives.WriteUInt32BigEndian(bytes, s_interestingWords[random.Next(s_interestingWords.Length)]);
                        for (var i = 0; i < 4; i++)
                        {
                            data[at + i] = bytes[i];
                        }
                    }

                    break;
            }
        }

        return [.. data];
    }

    /// <summary>
    /// Structure-aware mutations of the JSON header: a number, string or bracket replaced by a hostile value, with the
    /// length prefix recomputed so the parser gets past the framing and into the validation of every field.
    /// </summary>
    private static byte[] MutateJson(byte[] file, string header, Random random)
    {
        string[] hostile =
        [
            "0", "-1", "1e308", "-1e308", "2147483648", "9223372036854775807", "99999999999999999999", "0.5", "null", "true",
            "\"\"", "\"x\"", "[]", "{}", "[1,2,3]", "\"NaN\"", "1e-320",
        ];
        var text = header;
        var rounds = 1 + random.Next(3);
        for (var r = 0; r < rounds; r++)
        {
            var at = random.Next(text.Length);
            var token = FindToken(text, at);
            if (token.Length == 0)
            {
                continue;
            }

            // Inside the metadata, the architecture etc. are JSON strings with escaped quotes; keep that escaping.
            var replacement = hostile[random.Next(hostile.Length)];
            if (IsInsideString(text, token.Start))
            {
                replacement = replacement.Replace("\"", "\\\"", StringComparison.Ordinal);
            }

            text = text[..token.Start] + replacement + text[(token.Start + token.Length)..];
        }

        return ModelFileTests.WithHeader(file, text);
    }

    private static (int Start, int Length) FindToken(string text, int at)
    {
        // The nearest run of digits (a number), or the nearest escaped or plain quoted word.
        for (var i = at; i < text.Length; i++)
        {
            if (char.IsAsciiDigit(text[i]) || text[i] == '-')
            {
                var end = i;
                while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is '.' or 'e' or 'E' or '-' or '+'))
                {
                    end++;
                }

                return (i, end - i);
            }

            if (char.IsAsciiLetter(text[i]))
            {
                var end = i;
                while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
                {
                    end++;
                }

                var start = i;
                if (start > 0 && text[start - 1] == '"')
                {
                    start--;
                    end = Math.Min(text.Length, end + 1);
                    if (start > 0 && text[start - 1] == '\\')
                    {
                        start--;
                        end = Math.Min(text.Length, end + 1);
                    }
                }

                return (start, end - start);
            }
        }

        return (0, 0);
    }

    /// <summary>Whether position <paramref name="at"/> is inside a top-level JSON string (an odd number of unescaped quotes before it).</summary>
    private static bool IsInsideString(string text, int at)
    {
        var inside = false;
        for (var i = 0; i < at; i++)
        {
            if (text[i] == '"' && (i == 0 || text[i - 1] != '\\'))
            {
                inside = !inside;
            }
        }

        return inside;
    }

    private static byte[] StripChecksum(byte[] file, string header)
    {
        const string key = ",\"content_sha256\":\"";
        var start = header.IndexOf(key, StringComparison.Ordinal);
        if (start < 0)
        {
            return file;
        }

        var end = header.IndexOf('"', start + key.Length) + 1;
        return ModelFileTests.WithHeader(file, header.Remove(start, end - start));
    }
}
