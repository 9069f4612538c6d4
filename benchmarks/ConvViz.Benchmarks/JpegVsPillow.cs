// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using ConvViz.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Benchmarks;

/// <summary>
/// <c>jpeg-vs-pillow [ROUNDS] [--filter TEXT]</c>: ConvViz's own JPEG decoder and Pillow 9.4 (<c>/usr/bin/python3</c>,
/// <c>benchmarks/compare/pillow_jpeg_timer.py</c>) decode the same files in one run, interleaved file by file and round
/// by round, and the best ms per image of each is printed with the ratio (ConvViz / Pillow, below 1 means ConvViz is
/// faster). The files: the decodable parity fixtures, chelsea at 180×180 and 500×375 (as <see cref="JpegDecodeBenchmarks"/>),
/// and three 500×375 synthetic pictures (<see cref="SyntheticJpegs.Draw"/>) encoded by ImageSharp (q85) and by Pillow
/// (q90 baseline, q85 progressive). Every file's ConvViz pixels are also checked against Pillow's (SHA-256).
/// Each window is timed by the wall clock and by the thread's CPU time (Linux CLOCK_THREAD_CPUTIME_ID, Python's
/// <c>time.thread_time</c>); on a loaded machine the CPU-time ratio is the steadier one.
/// </summary>
internal static class JpegVsPillow
{
    private const double WindowMs = 40;

    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var r) ? r : 7;
        var filterIndex = Array.IndexOf(args, "--filter");
        var filter = filterIndex >= 0 && filterIndex + 1 < args.Length ? args[filterIndex + 1] : null;
        var root = RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("convviz-jpeg-vs-pillow-");
        using var python = StartPython(Path.Combine(root, "benchmarks", "compare", "pillow_jpeg_timer.py"));
        try
        {
            var files = Files(root, work.FullName, python);
            if (filter is not null)
            {
                files = [.. files.Where(f => f.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))];
            }

            Console.WriteLine($"jpeg-vs-pillow: {files.Count} files, {rounds} interleaved rounds of ~{WindowMs} ms windows per file and side, best of the rounds; {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} logical CPUs, Vector256 {(System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "accelerated" : "not accelerated")}");
            // Warm-up: every decoder path reaches tier-1 code (the background JIT gets time to finish) before any timing.
            for (var pass = 0; pass < 3; pass++)
            {
                foreach (var file in files)
                {
                    for (var i = 0; i < 40; i++)
                    {
                        using var image = SafeImageDecoder.Decode<Rgb24>(file.Data, file.Name, new ImageDecodingOptions { AllowTruncatedImages = true });
                    }
                }

                Thread.Sleep(500);
            }

            var rows = new List<(string Name, string Size, double Full, double Decoder, double Pillow, double FullCpu, double PillowCpu, bool Same)>();
            var index = 0;
            foreach (var file in files)
            {
                var pillow = Ask(python, $"load {file.Path}").Split(' ');
                var options = new ImageDecodingOptions { AllowTruncatedImages = true };
                var data = file.Data;
                byte[] pixels;
                using (var image = SafeImageDecoder.Decode<Rgb24>(data, file.Name, options))
                {
                    pixels = new byte[image.Width * image.Height * 3];
                    image.CopyPixelDataTo(pixels);
                }

                var same = pillow[0] == "ok" && Convert.ToHexStringLower(SHA256.HashData(pixels)) == pillow[1];
                var buffer = new byte[pixels.Length];
                void Full()
                {
                    using var image = SafeImageDecoder.Decode<Rgb24>(data, file.Name, options);
                }

                void DecoderOnly()
                {
                    var decoder = new ConvViz.Imaging.JpegDecoder(data, file.Name, options);
                    decoder.ReadHeader();
                    decoder.Decode(buffer);
                }

                var fullCalls = Calibrate(Full);
                var decoderCalls = Calibrate(DecoderOnly);
                var pillowCalls = Math.Max(1, (int)(WindowMs / TimePillow(python, index, 3).Wall));
                double bestFull = double.MaxValue, bestDecoder = double.MaxValue, bestPillow = double.MaxValue, bestFullCpu = double.MaxValue, bestPillowCpu = double.MaxValue;
                for (var round = 0; round < rounds; round++)
                {
                    var full = Time(Full, fullCalls);
                    var pillowTime = TimePillow(python, index, pillowCalls);
                    bestFull = Math.Min(bestFull, full.Wall);
                    bestFullCpu = Math.Min(bestFullCpu, full.Cpu);
                    bestPillow = Math.Min(bestPillow, pillowTime.Wall);
                    bestPillowCpu = Math.Min(bestPillowCpu, pillowTime.Cpu);
                    bestDecoder = Math.Min(bestDecoder, Time(DecoderOnly, decoderCalls).Wall);
                }

                rows.Add((file.Name, $"{pillow[2]}×{pillow[3]}", bestFull, bestDecoder, bestPillow, bestFullCpu, bestPillowCpu, same));
                Console.Error.WriteLine(FormattableString.Invariant($"  {file.Name}: ConvViz {bestFull:F3} ms, Pillow {bestPillow:F3} ms"));
                index++;
            }

            Console.WriteLine("| file | size | ConvViz ms (SafeImageDecoder.Decode<Rgb24>) | ConvViz decoder only ms | Pillow 9.4 ms | ratio | ConvViz CPU ms | Pillow CPU ms | CPU ratio | pixels equal |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
            foreach (var row in rows)
            {
                Console.WriteLine(FormattableString.Invariant($"| `{row.Name}` | {row.Size} | {row.Full:F3} | {row.Decoder:F3} | {row.Pillow:F3} | {row.Full / row.Pillow:F2} | {row.FullCpu:F3} | {row.PillowCpu:F3} | {row.FullCpu / row.PillowCpu:F2} | {(row.Same ? "yes" : "**no**")} |"));
            }

            if (rows.Count > 0)
            {
                var geometric = Math.Exp(rows.Average(x => Math.Log(x.Full / x.Pillow)));
                var geometricCpu = Math.Exp(rows.Average(x => Math.Log(x.FullCpu / x.PillowCpu)));
                var total = rows.Sum(x => x.Full) / rows.Sum(x => x.Pillow);
                var totalCpu = rows.Sum(x => x.FullCpu) / rows.Sum(x => x.PillowCpu);
                Console.WriteLine(FormattableString.Invariant($"ratio ConvViz / Pillow: geometric mean {geometric:F2} (CPU {geometricCpu:F2}); totals {rows.Sum(x => x.Full):F2} / {rows.Sum(x => x.Pillow):F2} ms = {total:F2} (CPU {totalCpu:F2}); {rows.Count(x => x.Same)} of {rows.Count} files pixel-identical"));
            }

            return rows.All(x => x.Same) ? 0 : 1;
        }
        finally
        {
            python.StandardInput.WriteLine("quit");
            python.WaitForExit(5000);
            work.Delete(recursive: true);
        }
    }

    private static int Calibrate(Action action)
    {
        action();
        var once = Time(action, 3).Wall;
        return Math.Max(1, (int)(WindowMs / Math.Max(once, 1e-3)));
    }

    private static (double Wall, double Cpu) Time(Action action, int calls)
    {
        var cpu = ThreadCpuMs();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls; i++)
        {
            action();
        }

        var wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return (wall / calls, (ThreadCpuMs() - cpu) / calls);
    }

    private static (double Wall, double Cpu) TimePillow(Process python, int index, int calls)
    {
        var answer = Ask(python, FormattableString.Invariant($"time {index} {calls}")).Split(' ');
        return (double.Parse(answer[0], CultureInfo.InvariantCulture), double.Parse(answer[1], CultureInfo.InvariantCulture));
    }

    /// <summary>This thread's CPU time in ms (Linux; NaN elsewhere).</summary>
    private static double ThreadCpuMs()
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }

        const int clockThreadCpuTimeId = 3;
        return ClockGetTime(clockThreadCpuTimeId, out var time) == 0 ? (time.Seconds * 1e3) + (time.Nanoseconds / 1e6) : double.NaN;
    }

#pragma warning disable SYSLIB1054, CA5392 // a plain blittable call; LibraryImport would need unsafe code in this project
    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
#pragma warning restore SYSLIB1054, CA5392

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static List<(string Name, string Path, byte[] Data)> Files(string root, string work, Process python)
    {
        var files = new List<(string Name, string Path, byte[] Data)>();
        var fixtures = Path.Combine(root, "tests", "ConvViz.Tests", "TestAssets", "Parity", "jpeg");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixtures, "jpeg.json")));
        foreach (var c in json.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("expect").GetString() == "decode")
            {
                var name = c.GetProperty("file").GetString()!;
                var path = Path.Combine(fixtures, name);
                files.Add((name, path, File.ReadAllBytes(path)));
            }
        }

        foreach (var name in new[] { "chelsea-180x180.jpg", "chelsea-500x375.jpg" })
        {
            var path = Path.Combine(work, name);
            File.WriteAllBytes(path, JpegDecodeBenchmarks.Load(name));
            files.Add((name, path, File.ReadAllBytes(path)));
        }

        for (var i = 0; i < 3; i++)
        {
            // A fixed seed (HashCode.Combine is randomised per process): the same pictures in every run, so that runs
            // of two builds compare the same files.
            using var picture = SyntheticJpegs.Draw(500, 375, i % 2, new Random(1234 + i));
            var png = Path.Combine(work, $"synthetic-{i}.png");
            picture.SaveAsPng(png);
            var (name, command) = i switch
            {
                0 => ("synthetic-500x375-imagesharp-q85.jpg", (string?)null),
                1 => ("synthetic-500x375-pillow-q90.jpg", "90 0"),
                _ => ("synthetic-500x375-pillow-progressive-q85.jpg", "85 1"),
            };
            var path = Path.Combine(work, name);
            if (command is null)
            {
                picture.SaveAsJpeg(path, new JpegEncoder { Quality = 85 });
            }
            else if (Ask(python, $"encode {png} {path} {command}") != "ok")
            {
                throw new InvalidOperationException($"Pillow could not encode {name}.");
            }

            files.Add((name, path, File.ReadAllBytes(path)));
        }

        return files;
    }

    private static Process StartPython(string script)
    {
        var info = new ProcessStartInfo("/usr/bin/python3", [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        return Process.Start(info) ?? throw new InvalidOperationException("/usr/bin/python3 (with Pillow) did not start.");
    }

    private static string Ask(Process python, string command)
    {
        python.StandardInput.WriteLine(command);
        python.StandardInput.Flush();
        return python.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"The Pillow timer stopped (command '{command}').");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ConvViz.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Run the benchmark from inside the ConvViz repository.");
    }
}
