// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using ConvViz.Imaging;
using ConvViz.Models;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

namespace ConvViz.Benchmarks;

/// <summary>
/// ONNX export (issue 27), for a noisy machine: every ratio comes from one run, candidates interleaved call by call.
/// <list type="number">
/// <item>Export time of the pretrained ResNet18 (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18: 80 layers, 64 MB)
/// with <c>ExportOnnx</c>, to a <see cref="MemoryStream"/> and to a temporary file: best and median of N.</item>
/// <item>The blog model as the main sample builds it (150 × 150 × 3, sample-wise standardisation, two classes),
/// exported with <c>ExportOnnx</c> and run in ONNX Runtime beside ConvViz's <c>Predict</c> at batch 1 and 50: ConvViz
/// fp32 and bf16 against ONNX Runtime fp32, img/s of the medians. The exported model takes the preprocessed images, so
/// both sides do the same work; the largest difference of their outputs is printed too.</item>
/// </list>
/// </summary>
internal static class OnnxExportSideBySide
{
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var skipBf16 = args.Contains("--no-bf16");
        var threadsAt = Array.IndexOf(args, "--threads");
        if (threadsAt >= 0)
        {
            // Both libtorch and ONNX Runtime on this many threads (on a loaded machine, 1 shows each one's own cost).
            set_num_threads(int.Parse(args[threadsAt + 1], CultureInfo.InvariantCulture));
        }

        var threads = get_num_threads();
        Console.WriteLine($"ONNX export: {Environment.ProcessorCount} logical CPUs, libtorch threads {threads}, ONNX Runtime intra-op threads {threads}, {rounds} rounds");
        ExportTime(rounds);
        BlogSideBySide(rounds, threads, skipBf16);
        return 0;
    }

    private static void ExportTime(int rounds)
    {
        using var resnet = PretrainedModels.ResNet18();
        var parameters = resnet.ParameterCount;
        var (toMemory, toFile) = (new List<double>(), new List<double>());
        long bytes = 0;
        var path = Path.Combine(Path.GetTempPath(), $"convviz-export-bench-{Environment.ProcessId}.onnx");
        try
        {
            // One warm-up export each (the first one JITs the exporter and the protobuf code).
            for (var i = 0; i < rounds + 1; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                using (var stream = new MemoryStream())
                {
                    resnet.ExportOnnx(stream, new OnnxExportOptions());
                    bytes = stream.Length;
                }

                var t1 = Stopwatch.GetTimestamp();
                resnet.ExportOnnx(path, new OnnxExportOptions());
                var t2 = Stopwatch.GetTimestamp();
                if (i >= 1)
                {
                    toMemory.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    toFile.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                }
            }
        }
        finally
        {
            File.Delete(path);
        }

        Console.WriteLine(FormattableString.Invariant(
            $"export ResNet18 ({resnet.Layers.Count} layers, {parameters:N0} parameters, {bytes / 1e6:F1} MB ONNX): to a MemoryStream best {toMemory.Min():F0} ms, median {Median(toMemory):F0} ms; to a file (atomic) best {toFile.Min():F0} ms, median {Median(toFile):F0} ms"));
    }

    private static void BlogSideBySide(int rounds, int threads, bool skipBf16)
    {
        // The main sample's model: the blog's layers, its preprocessing and class names.
        using var fp32 = ConvViz.Tests.BlogModel.CreateBuilder().WithSeed(42).Build();
        fp32.Preprocessing = new ImagePreprocessing { TargetHeight = Blog.Size, TargetWidth = Blog.Size, SamplewiseStdNormalization = true };
        fp32.ClassNames = ["cat", "dog"];
        var onnx = new MemoryStream();
        var t0 = Stopwatch.GetTimestamp();
        fp32.ExportOnnx(onnx, new OnnxExportOptions());
        var exportMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        var bytes = onnx.ToArray();

        using var bf16 = ConvViz.Tests.BlogModel.CreateBuilder().WithSeed(42).Build();
        var bf16Supported = ConvVizRuntime.IsBFloat16Supported && !skipBf16;
        if (bf16Supported)
        {
            bf16.Precision = Precision.BFloat16;
        }

        using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };

        // As in ResNet18SideBySide: ONNX Runtime's idle workers must not spin while ConvViz runs.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        using var session = new InferenceSession(bytes, sessionOptions);
        Console.WriteLine(FormattableString.Invariant($"blog model: {fp32.ParameterCount:N0} parameters, exported in {exportMs:F0} ms (first export, with JIT), {bytes.Length / 1e6:F2} MB ONNX"));

        foreach (var batch in new[] { 1, Blog.BatchSize })
        {
            using var raw = rand([batch, 3, Blog.Size, Blog.Size], generator: new Generator().manual_seed(batch)).mul(255f);
            using var input = fp32.Preprocessing.Standardize(raw);
            var data = new DenseTensor(input.contiguous().data<float>().ToArray(), [batch, 3, Blog.Size, Blog.Size]);
            var inputs = new[] { NamedOnnxValue.CreateFromTensor("input", data) };

            double difference;
            using (var expected = fp32.Predict(input, batch))
            using (var results = session.Run(inputs))
            {
                var actual = results[0].AsTensor<float>().ToArray();
                difference = expected.data<float>().ToArray().Zip(actual, (a, b) => Math.Abs(a - b)).Max();
            }

            var (c, b, o) = (new List<double>(), new List<double>(), new List<double>());
            for (var i = 0; i < rounds + 2; i++)
            {
                var s0 = Stopwatch.GetTimestamp();
                using (NewDisposeScope())
                {
                    fp32.Predict(input, batch);
                }

                var s1 = Stopwatch.GetTimestamp();
                if (bf16Supported)
                {
                    using (NewDisposeScope())
                    {
                        bf16.Predict(input, batch);
                    }
                }

                var s2 = Stopwatch.GetTimestamp();
                using (session.Run(inputs))
                {
                }

                var s3 = Stopwatch.GetTimestamp();
                if (i >= 2)
                {
                    c.Add(Stopwatch.GetElapsedTime(s0, s1).TotalMilliseconds);
                    b.Add(Stopwatch.GetElapsedTime(s1, s2).TotalMilliseconds);
                    o.Add(Stopwatch.GetElapsedTime(s2, s3).TotalMilliseconds);
                }
            }

            var (cm, bm, om) = (Median(c), Median(b), Median(o));
            Console.WriteLine(FormattableString.Invariant(
                $"blog model batch {batch}: ConvViz fp32 {cm:F2} ms ({batch * 1000 / cm:F1} img/s), ConvViz bf16 {(bf16Supported ? $"{bm:F2} ms ({batch * 1000 / bm:F1} img/s)" : "not measured")}, ONNX Runtime fp32 {om:F2} ms ({batch * 1000 / om:F1} img/s); ConvViz speed / ONNX Runtime speed: fp32 {om / cm:F2}x, bf16 {(bf16Supported ? (om / bm).ToString("F2", CultureInfo.InvariantCulture) : "n/a")}x; largest output difference fp32 {difference:E1}"));
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
