// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConvViz.Models;
using ConvViz.Models.Layers;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

namespace ConvViz.Benchmarks;

/// <summary>Where ResNet18's forward time goes: each layer's time in ConvViz, each node's in ONNX Runtime.</summary>
internal static class ResNet18Profile
{
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        var precision = args.Contains("--bf16") ? Precision.BFloat16 : Precision.Float32;
        var layout = args.Contains("--nchw") ? MemoryLayout.ChannelsFirst : MemoryLayout.ChannelsLast;
        var path = PretrainedModels.FindResNet18()!;
        if (args.Contains("--fold"))
        {
            var baseline = args.Contains("--vs-nchw") ? FoldBaseline.ChannelsFirst : args.Contains("--vs-fold") ? FoldBaseline.FoldOnly : FoldBaseline.Unfolded;
            return FoldSideBySide(path, rounds, batch, precision, baseline, args.Contains("--folded-only"));
        }

        using var model = Model.Load(path);
        model.Precision = precision;
        model.Layout = layout;
        using var input = rand([batch, 3, 224, 224], generator: new Generator().manual_seed(1)).mul(255f);
        var n = model.LayerModules.Count;
        var times = new double[n];
        using (no_grad())
        {
            for (var r = 0; r < rounds + 2; r++)
            {
                var values = new Tensor?[n];
                var x = model.ToNetworkInput(input);
                var total = Stopwatch.StartNew();
                for (var i = 0; i < n; i++)
                {
                    var args2 = model.Specs[i].Inputs.Select(j => j < 0 ? x : values[j]!).ToArray();
                    var t0 = Stopwatch.GetTimestamp();
                    // The executor's fold, as in Model.Run: a convolution followed by its batch normalization computes both.
                    var next = i + 1 < n ? model.LayerModules[i + 1] : null;
                    values[i] = model.LayerModules[i] is Conv2DModule conv && next is BatchNormModule bn && model.Specs[i + 1].Inputs is [var only] && only == i
                        ? conv.ForwardFoldingBatchNorm(args2[0], bn)
                        : i > 0 && model.LayerModules[i - 1] is Conv2DModule && model.LayerModules[i] is BatchNormModule ? args2[0].alias() : model.LayerModules[i].Invoke(args2);
                    if (r >= 2)
                    {
                        times[i] += Stopwatch.GetElapsedTime(t0).TotalMilliseconds / rounds;
                    }
                }

                total.Stop();
                foreach (var v in values)
                {
                    v?.Dispose();
                }

                x.Dispose();
                if (r >= 2)
                {
                    Console.WriteLine(FormattableString.Invariant($"round total {total.Elapsed.TotalMilliseconds:F1} ms"));
                }
            }
        }

        Console.WriteLine(FormattableString.Invariant($"ConvViz {precision} {layout} batch {batch}: sum of layers {times.Sum():F1} ms"));
        foreach (var g in Enumerable.Range(0, n).GroupBy(i => model.Layers[i].Options.GetType().Name))
        {
            Console.WriteLine(FormattableString.Invariant($"  {g.Key,-30} {g.Count(),3} layers {g.Sum(i => times[i]),8:F1} ms"));
        }

        for (var i = 0; i < n; i++)
        {
            var l = model.Layers[i];
            Console.WriteLine(FormattableString.Invariant($"  {i,3} {l.Name,-28} {l.Options.GetType().Name,-26} {l.InputShapes[0],-16} {times[i],7:F2} ms"));
        }

        if (args.Contains("--ort"))
        {
            OrtProfile(path, batch, rounds, input);
        }

        return 0;
    }

    /// <summary>What the folded (and fused) model is compared with.</summary>
    private enum FoldBaseline
    {
        /// <summary>The same model without folding (every layer by itself).</summary>
        Unfolded,

        /// <summary>Folded, channels-first.</summary>
        ChannelsFirst,

        /// <summary>Folded, but without the fused additions, ReLUs and prepacked oneDNN kernels.</summary>
        FoldOnly,
    }

    private static int FoldSideBySide(string path, int rounds, int batch, Precision precision, FoldBaseline baseline, bool foldedOnly)
    {
        using var folded = Model.Load(path);
        using var plain = Model.Load(path);
        folded.Precision = precision;
        plain.Precision = precision;
        plain.FoldsBatchNorm = baseline != FoldBaseline.Unfolded;
        plain.FusesConvolutions = baseline == FoldBaseline.ChannelsFirst;
        plain.Layout = baseline == FoldBaseline.ChannelsFirst ? MemoryLayout.ChannelsFirst : MemoryLayout.ChannelsLast;
        using var input = rand([batch, 3, 224, 224], generator: new Generator().manual_seed(1)).mul(255f);
        var (a, b) = (new List<double>(), new List<double>());
        for (var r = 0; r < rounds + 2; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            using (NewDisposeScope())
            {
                folded.Predict(input);
            }

            var t1 = Stopwatch.GetTimestamp();
            if (!foldedOnly)
            {
                using (NewDisposeScope())
                {
                    plain.Predict(input);
                }
            }

            var t2 = Stopwatch.GetTimestamp();
            if (r >= 2)
            {
                a.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                b.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
            }
        }

        using var x = folded.Predict(input);
        using var y = plain.Predict(input);
        var worst = x.sub(y).abs().max().item<float>() / y.abs().max().item<float>();
        if (foldedOnly)
        {
            Console.WriteLine(FormattableString.Invariant($"{precision} batch {batch}: folded+fused median {a.Order().ElementAt(a.Count / 2):F1} ms over {rounds} calls (oneDNN prepacked: {OneDnnConvolution.IsAvailable})"));
            return 0;
        }

        var name = baseline switch { FoldBaseline.ChannelsFirst => "folded channels-first", FoldBaseline.FoldOnly => "fold only (no fusion, no prepacking)", _ => "unfolded" };
        Console.WriteLine(FormattableString.Invariant(
            $"{precision} batch {batch}: folded+fused median {a.Order().ElementAt(a.Count / 2):F1} ms (oneDNN prepacked: {OneDnnConvolution.IsAvailable}), {name} {b.Order().ElementAt(b.Count / 2):F1} ms; ratio {b.Order().ElementAt(b.Count / 2) / a.Order().ElementAt(a.Count / 2):F2}; max difference / max value {worst:E2}"));
        return 0;
    }

    private static void OrtProfile(string path, int batch, int rounds, Tensor input)
    {
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        proto.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam = "N";
        proto.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimParam = "N";
        var threads = get_num_threads();
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.EnableProfiling = true;
        options.ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), "ort-resnet18");
        using var session = new InferenceSession(proto.ToByteArray(), options);
        var data = new DenseTensor(input.contiguous().data<float>().ToArray(), [batch, 3, 224, 224]);
        var inputs = new[] { NamedOnnxValue.CreateFromTensor(proto.Graph.Input[0].Name, data) };
        for (var r = 0; r < rounds + 2; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            using (session.Run(inputs))
            {
            }

            Console.WriteLine(FormattableString.Invariant($"ORT round {Stopwatch.GetElapsedTime(t0).TotalMilliseconds:F1} ms"));
        }

        var file = session.EndProfiling();
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var nodes = doc.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
            .Select(e => (Name: e.GetProperty("name").GetString()!, Op: e.GetProperty("args").GetProperty("op_name").GetString()!, Us: e.GetProperty("dur").GetDouble()))
            .ToList();
        var perRun = nodes.Count / (rounds + 2);
        var measured = nodes.Skip(2 * perRun).ToList();
        Console.WriteLine(FormattableString.Invariant($"ORT nodes per run {perRun}, mean node time sum {measured.Sum(m => m.Us) / rounds / 1000:F1} ms"));
        foreach (var g in measured.GroupBy(m => m.Op))
        {
            Console.WriteLine(FormattableString.Invariant($"  {g.Key,-30} {g.Count() / rounds,3} nodes {g.Sum(m => m.Us) / rounds / 1000,8:F1} ms"));
        }

        foreach (var g in measured.GroupBy(m => m.Name))
        {
            Console.WriteLine(FormattableString.Invariant($"  {g.Key,-50} {g.First().Op,-16} {g.Sum(m => m.Us) / rounds / 1000,8:F2} ms"));
        }
    }
}
