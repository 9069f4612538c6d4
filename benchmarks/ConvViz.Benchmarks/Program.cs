// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Running;
using ConvViz.Benchmarks;

// Console modes used by benchmarks/compare/run.sh; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "compare")
{
    return CompareCommand.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "graph-overhead")
{
    // graph-overhead [ROUNDS] [BATCH]: all layers' activations in one call against a plain forward, interleaved.
    return GraphBenchmarks.RunSideBySide(args[1..]);
}

if (args.Length > 0 && args[0] == "executor-vs-loop")
{
    // executor-vs-loop [PAIRS] [BATCH] [--worker-thread]: the blog model's training step through the graph executor and through the former
    // layer loop, alternating (on a worker thread: as in a notebook cell or a web request).
    return ExecutorSideBySide.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "resnet18")
{
    // resnet18 [ROUNDS]: the pretrained ResNet18 in ConvViz (fp32, bf16) and ONNX Runtime, interleaved; load times.
    return ResNet18SideBySide.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "resnet18-profile")
{
    // resnet18-profile [ROUNDS] [BATCH] [--bf16] [--nchw] [--ort]: each layer's time in ConvViz, each node's in ONNX Runtime;
    // --fold [--vs-fold | --vs-nchw]: Predict folded and fused against unfolded (or the fold alone, or channels-first);
    // --fold --folded-only: the folded and fused Predict alone in a loop (to attach a profiler to).
    return ResNet18Profile.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "pipeline")
{
    // pipeline [DIR] [--images N] [--threads T]: the data pipeline's stages one by one, then dataset passes alone.
    return PipelineProfile.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "blog-run")
{
    // blog-run --data DIR [--precision P] [--target 0.95] [--max-epochs N] [--json FILE]: the blog's run, timed to an accuracy.
    return BlogRun.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "onnx-export")
{
    // onnx-export [ROUNDS] [--threads N] [--no-bf16]: ResNet18's export time; the exported blog model in ONNX Runtime beside ConvViz's Predict.
    return OnnxExportSideBySide.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "keras-load")
{
    // keras-load [ROUNDS] [--fixtures DIR]: a VGG16-sized Keras HDF5 (written by python3-h5py at run time) against
    // ConvViz's own file of the same model, interleaved; then the load time of each Keras fixture class.
    return KerasLoadSideBySide.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "jpeg-vs-pillow")
{
    // jpeg-vs-pillow [ROUNDS] [--filter TEXT]: ConvViz's JPEG decoder and Pillow 9.4 on the same files, interleaved.
    return JpegVsPillow.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "make-jpegs")
{
    // make-jpegs DIR COUNT
    var count = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1000;
    Console.WriteLine(SyntheticJpegs.Ensure(args.Length > 1 ? args[1] : SyntheticJpegs.DefaultRoot(count), count));
    return 0;
}

// The libtorch natives and the generated data live in this process: every job runs in-process (see BenchmarkConfig).
var (job, rest) = BenchmarkConfig.ExtractJob(args);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchmarkConfig).Assembly).Run(rest, new BenchmarkConfig(job)).ToArray();

// A benchmark that threw, or a suite BenchmarkDotNet refused, fails the run (CI runs the dry job).
var failed = summaries.Where(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)).Select(s => s.Title).ToArray();
foreach (var title in failed)
{
    Console.Error.WriteLine($"Benchmark suite failed: {title}");
}

return summaries.Length == 0 || failed.Length > 0 ? 1 : 0;
