// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using ConvViz.Data;
using ConvViz.Inspection;
using ConvViz.Models;
using ConvViz.Models.Layers;
using ConvViz.Training;
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
/// one plain forward; feature extraction (<c>ExtractFeatures</c>) against ONNX Runtime over the same images; and the
/// fine-tuning step (ResNet18 with stage 4 unfrozen and a new sigmoid head) in fp32 and bf16.
/// </summary>
internal static class ResNet18SideBySide
{
    /// <summary>Unmeasured rounds before a batch-1 measurement: past .NET's 30-call threshold for tiered recompilation.</summary>
    private const int TieredWarmUpRounds = 40;

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

            // The first batch-1 rounds also warm up .NET's tiered compilation (a method is recompiled after 30 calls, on
            // a background thread that takes a core from libtorch's two threads on this machine): measure after it.
            var warmUp = batch == 1 ? TieredWarmUpRounds : 2;
            for (var i = 0; i < rounds + warmUp; i++)
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
                if (i >= warmUp)
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
            var (plain, all, eager) = (new List<double>(), new List<double>(), new List<double>());
            for (var i = 0; i < rounds + TieredWarmUpRounds; i++)
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

                // The same pass with every convolution in libtorch's eager conv2d (what it was before the standalone ones ran prepacked).
                fp32.PrepacksStandaloneConvolutions = false;
                using (var activations = IntermediateModel.From(fp32, names).Run(one))
                {
                }

                fp32.PrepacksStandaloneConvolutions = true;
                var t3 = Stopwatch.GetTimestamp();
                if (i >= TieredWarmUpRounds)
                {
                    plain.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    all.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                    eager.Add(Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds);
                }
            }

            Console.WriteLine(FormattableString.Invariant(
                $"all {names.Length} layers' activations in one pass: median {Median(all):F1} ms against one plain forward {Median(plain):F1} ms, ratio {Median(all) / Median(plain):F3}"));
            Console.WriteLine(FormattableString.Invariant(
                $"  the same pass with eager convolutions (not prepacked): median {Median(eager):F1} ms, ratio {Median(eager) / Median(plain):F3}"));
        }

        FeatureExtraction(fp32, session, proto.Graph.Input[0].Name, Math.Max(2, rounds / 3));
        FineTuneSteps(path, bf16Supported, Math.Max(4, rounds / 2));
        return 0;
    }

    /// <summary>ExtractFeatures over 128 in-memory images (batch 32) against ONNX Runtime running the same 4 batches, interleaved.</summary>
    private static void FeatureExtraction(Model model, InferenceSession session, string inputName, int rounds)
    {
        const int Count = 128, Batch = 32;
        using var images = rand([Count, 3, 224, 224], generator: new Generator().manual_seed(11)).mul(255f);
        using var labels = zeros(Count, 1);
        using var data = new InMemoryDataset(images, labels, Batch, ClassMode.Binary);
        var batches = Enumerable.Range(0, Count / Batch).Select(b =>
        {
            using var slice = images.narrow(0, b * Batch, Batch).contiguous();
            return new[] { NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor(slice.data<float>().ToArray(), [Batch, 3, 224, 224])) };
        }).ToArray();
        var (c, o) = (new List<double>(), new List<double>());
        for (var i = 0; i < rounds + 1; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            using (model.ExtractFeatures(data, new FeatureExtractionOptions { Shuffle = false }))
            {
            }

            var t1 = Stopwatch.GetTimestamp();
            foreach (var inputs in batches)
            {
                using (session.Run(inputs))
                {
                }
            }

            var t2 = Stopwatch.GetTimestamp();
            if (i >= 1)
            {
                c.Add(Stopwatch.GetElapsedTime(t0, t1).TotalSeconds);
                o.Add(Stopwatch.GetElapsedTime(t1, t2).TotalSeconds);
            }
        }

        Console.WriteLine(FormattableString.Invariant(
            $"feature extraction, {Count} images at 224x224, batch {Batch}: ConvViz ExtractFeatures fp32 {Count / Median(c):F1} img/s, ONNX Runtime fp32 {Count / Median(o):F1} img/s; ratio {Median(o) / Median(c):F2}x"));
    }

    /// <summary>Fit steps of ResNet18 (stage 4 trainable) plus a sigmoid head on 32 in-memory images, batch 16, fp32 and bf16.</summary>
    private static void FineTuneSteps(string path, bool bf16Supported, int steps)
    {
        using var images = rand([32, 3, 224, 224], generator: new Generator().manual_seed(12)).mul(255f);
        using var labels = randint(0, 2, [32, 1], generator: new Generator().manual_seed(13)).to_type(ScalarType.Float32);
        using var data = new InMemoryDataset(images, labels, 16, ClassMode.Binary);
        foreach (var precision in bf16Supported ? new[] { Precision.Float32, Precision.BFloat16 } : [Precision.Float32])
        {
            using var resnet = PretrainedModels.ResNet18(path);
            var stage4 = resnet.Layers.First(l => l.Name.StartsWith("stage4", StringComparison.Ordinal)).Name;
            using var model = new SequentialBuilder(224, 224, 3).AddModel(resnet).AddFlatten().AddDense(1, Activation.Sigmoid).Build();
            model.Freeze();
            model.Unfreeze(stage4);
            model.Compile(new CompileOptions { Loss = Loss.BinaryCrossentropy, Optimizer = OptimizerOptions.Adamax(1e-4), Precision = precision });
            var times = new List<double>();
            var watch = new Stopwatch();
            var timer = new LambdaCallback { BatchBegin = _ => watch.Restart(), BatchEnd = _ => times.Add(watch.Elapsed.TotalSeconds) };
            model.Fit(data, new FitOptions { Epochs = 1 + ((steps + 1) / 2), Callbacks = [timer], Verbosity = TrainingVerbosity.Silent });
            var measured = times.Skip(2).ToList();
            Console.WriteLine(FormattableString.Invariant(
                $"fine-tuning step ({precision}, stage 4 from {stage4} + head trainable: {model.TrainableParameterCount:N0} of {model.ParameterCount:N0} values), batch 16: median {Median(measured) * 1000:F0} ms, {16 / Median(measured):F1} img/s over {measured.Count} steps"));
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
