// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

namespace ConvViz.Benchmarks;

/// <summary>
/// The pretrained ResNet18 (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18) side by side with ONNX Runtime on the same
/// thread count, for a noisy machine: the candidates run interleaved (A, B, C, A, B, C, …) and each one's median is
/// printed with the ratios. Measures: loading the 64 MB file against ONNX Runtime's session creation; inference at 224 ×
/// 224, batch 1 and 32, in ConvViz fp32 and bf16 against ONNX Runtime fp32; all layers' activations in one pass against
/// one plain forward.
/// </summary>
internal static class ResNet18SideBySide
{
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var skipBf16 = args.Contains("--no-bf16");
        var path = PretrainedModels.FindResNet18() ?? throw new FileNotFoundException($"Restore the benchmarks project: {PretrainedModels.ResNet18Package} is not in the NuGet cache.");
        var threads = TorchSharp.torch.get_num_threads();
        Console.WriteLine($"ResNet18 side by side: {Environment.ProcessorCount} logical CPUs, libtorch threads {threads}, ONNX Runtime intra-op threads {threads}, {rounds} interleaved rounds");

        // The file's batch axis is fixed at 1: make it symbolic for ONNX Runtime so that both run the same batches.
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        proto.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam = "N";
        proto.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam = "N";
        var bytes = proto.ToByteArray();
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };

        // ONNX Runtime's worker threads spin after each run by default; on 2 cores that would steal the CPU from the
        // ConvViz call that follows it in the interleaved loop. Both sides sleep when idle.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");

        // Load: ConvViz's Model.Load of the file against ONNX Runtime's session creation, interleaved.
        var loads = new List<double>();
        var sessions = new List<double>();
        for (var i = 0; i < Math.Max(3, rounds / 2); i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            Model.Load(path).Dispose();
            var t1 = Stopwatch.GetTimestamp();
            new InferenceSession(path, sessionOptions).Dispose();
            var t2 = Stopwatch.GetTimestamp();
            loads.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
            sessions.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
        }

        Console.WriteLine(FormattableString.Invariant($"load 64 MB ONNX: ConvViz Model.Load median {Median(loads):F0} ms, ONNX Runtime session creation median {Median(sessions):F0} ms"));

        using var fp32 = Model.Load(path);
        using var bf16 = Model.Load(path);
        var bf16Supported = ConvVizRuntime.IsBFloat16Supported && !skipBf16;
        if (bf16Supported)
        {
            bf16.Precision = Precision.BFloat16;
        }

        using var session = new InferenceSession(bytes, sessionOptions);
        foreach (var batch in new[] { 1, 32 })
        {
            using var input = rand([batch, 3, 224, 224], generator: new Generator().manual_seed(batch)).mul(255f);
            var data = new DenseTensor(input.contiguous().data<float>().ToArray(), [batch, 3, 224, 224]);
            var inputs = new[] { NamedOnnxValue.CreateFromTensor(proto.Graph.Input[0].Name, data) };
            var (c, b, o) = (new List<double>(), new List<double>(), new List<double>());
            for (var i = 0; i < rounds + 2; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                using (NewDisposeScope())
                {
                    fp32.Predict(input);
                }

                var t1 = Stopwatch.GetTimestamp();
                if (bf16Supported)
                {
                    using (NewDisposeScope())
                    {
                        bf16.Predict(input);
                    }
                }

                var t2 = Stopwatch.GetTimestamp();
                using (session.Run(inputs))
                {
                }

                var t3 = Stopwatch.GetTimestamp();
                if (i >= 2)
                {
                    c.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    b.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                    o.Add(Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds);
                }
            }

            var (cm, bm, om) = (Median(c), Median(b), Median(o));
            Console.WriteLine(FormattableString.Invariant(
                $"inference batch {batch}: ConvViz fp32 {cm:F1} ms ({batch * 1000 / cm:F1} img/s), ConvViz bf16 {(bf16Supported ? $"{bm:F1} ms ({batch * 1000 / bm:F1} img/s)" : "not measured")}, ONNX Runtime fp32 {om:F1} ms ({batch * 1000 / om:F1} img/s); speed vs ONNX Runtime: fp32 {om / cm:F2}x, bf16 {(bf16Supported ? (om / bm).ToString("F2", CultureInfo.InvariantCulture) : "n/a")}x"));
        }

        // All layers' activations in one pass against a plain forward (fp32, batch 1).
        using (var one = rand([1, 3, 224, 224], generator: new Generator().manual_seed(7)).mul(255f))
        {
            var names = fp32.Layers.Select(l => l.Name).ToArray();
            var (plain, all) = (new List<double>(), new List<double>());
            for (var i = 0; i < rounds + 2; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                using (NewDisposeScope())
                {
                    fp32.Predict(one);
                }

                var t1 = Stopwatch.GetTimestamp();
                using (var activations = IntermediateModel.From(fp32, names).Run(one))
                {
                }

                var t2 = Stopwatch.GetTimestamp();
                if (i >= 2)
                {
                    plain.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    all.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                }
            }

            Console.WriteLine(FormattableString.Invariant(
                $"all {names.Length} layers' activations in one pass: median {Median(all):F1} ms against one plain forward {Median(plain):F1} ms, ratio {Median(all) / Median(plain):F3}"));
        }

        return 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
