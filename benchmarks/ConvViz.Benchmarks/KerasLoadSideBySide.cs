// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using System.Globalization;
using ConvViz.Models;

namespace ConvViz.Benchmarks;

/// <summary>
/// Keras import speed (issue 25): a synthetic VGG16-sized Keras 2 HDF5 file (VGG16's convolutional base on 150 × 150 × 3,
/// then global average pooling and Dense(2); 14.7 M parameters, 59 MB), written at run time by make_vgg16_keras.py with
/// Debian's python3-h5py (Keras files are only ever written by Python here; benchmarks/keras-load.sh runs it), against ConvViz's own file of the same
/// model (the imported model saved with <see cref="Model.Save(string)"/>), loaded interleaved; then the load time of
/// each committed Keras fixture class (tests/ConvViz.Tests/TestAssets/keras) and of the weights-only files.
/// </summary>
internal static class KerasLoadSideBySide
{
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var r) ? r : 10;
        var python = Environment.GetEnvironmentVariable("CONVVIZ_PYTHON") ?? "/usr/bin/python3";
        var script = Path.Combine(AppContext.BaseDirectory, "make_vgg16_keras.py");
        var directory = Directory.CreateTempSubdirectory("convviz-keras-load-").FullName;
        try
        {
            // benchmarks/keras-load.sh writes the file on the host (the Debian 13 root that runs libtorch has no Python)
            // and passes it with --keras; without it the script runs here.
            var given = Array.IndexOf(args, "--keras");
            var keras = given >= 0 && given + 1 < args.Length ? args[given + 1] : Path.Combine(directory, "vgg16_base.h5");
            var convviz = Path.Combine(directory, "vgg16_base.convviz");
            if (given < 0)
            {
                RunPython(python, script, keras);
            }

            using (var imported = Model.Load(keras))
            {
                imported.Save(convviz);
                Console.WriteLine(FormattableString.Invariant(
                    $"VGG16-sized model: {imported.Layers.Count} layers, {imported.ParameterCount:N0} parameters; Keras HDF5 {new FileInfo(keras).Length / 1e6:F1} MB, ConvViz file {new FileInfo(convviz).Length / 1e6:F1} MB"));
            }

            Console.WriteLine($"{Environment.ProcessorCount} logical CPUs, libtorch threads {TorchSharp.torch.get_num_threads()}, {rounds} interleaved rounds after 2 warm-up rounds (files in the page cache)");
            var (kerasTimes, convvizTimes) = (new List<double>(), new List<double>());
            for (var i = 0; i < rounds + 2; i++)
            {
                var k = Time(() => Model.Load(keras).Dispose());
                var c = Time(() => Model.Load(convviz).Dispose());
                if (i >= 2)
                {
                    kerasTimes.Add(k);
                    convvizTimes.Add(c);
                }
            }

            var (km, cm) = (Median(kerasTimes), Median(convvizTimes));
            Console.WriteLine(FormattableString.Invariant(
                $"Model.Load VGG16-sized: Keras HDF5 median {km:F0} ms (min {kerasTimes.Min():F0}), ConvViz file median {cm:F0} ms (min {convvizTimes.Min():F0}); Keras / ConvViz = {km / cm:F2} (target at most 1.50)"));

            if (FindFixtures(args) is { } fixtures)
            {
                LoadFixtures(fixtures, Math.Max(rounds, 5));
            }
            else
            {
                Console.WriteLine("Fixture classes skipped: tests/ConvViz.Tests/TestAssets/keras not found above the current directory (pass --fixtures DIR).");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        return 0;
    }

    private static void LoadFixtures(string fixtures, int rounds)
    {
        (string File, string Class)[] full =
        [
            ("seq_list_keras21.h5", "Keras 2.1 Sequential, list config, fixed-length strings"),
            ("seq_dict_tfkeras_vlen.h5", "tf.keras 2.x Sequential, dict config, variable-length strings"),
            ("functional_add_concat_split.h5", "Keras 2 functional (Add, Concatenate), split layer_names"),
            ("nested_conv_base.h5", "Keras 2 nested model"),
            ("seq_vector_mnist_dense.h5", "Keras 2 vector input (784-512-10)"),
            ("func_vector_bn.h5", "tf.keras functional, vector input with BatchNormalization"),
            ("r-keras-mnist-dense.h5", "real R keras file (Keras 2.1.5), vector input"),
            ("k3_legacy_sequential.h5", "Keras 3 legacy .h5"),
            ("k3_sequential.keras", "Keras 3 .keras, Sequential"),
            ("k3_functional.keras", "Keras 3 .keras, functional"),
            ("k3_nested.keras", "Keras 3 .keras, nested"),
            ("k3_vector.keras", "Keras 3 .keras, vector input"),
        ];
        Console.WriteLine($"Fixture classes ({fixtures}), median of {rounds} loads after 2 warm-up loads:");
        foreach (var (file, kind) in full)
        {
            var path = Path.Combine(fixtures, file);
            var times = Repeat(() => Model.Load(path).Dispose(), rounds);
            Console.WriteLine(FormattableString.Invariant($"  {kind,-62} {file,-32} {new FileInfo(path).Length / 1024.0,8:F1} KB  {Median(times),7:F2} ms"));
        }

        (string Model, string Weights, string Class)[] weightsOnly =
        [
            ("seq_list_keras21.h5", "seq_list_keras21_weights.h5", "Keras 2 weights-only (save_weights), LoadWeights"),
            ("r-keras-mnist-dense.h5", "r-keras-mnist-dense-weights.h5", "R keras save_model_weights_hdf5, LoadWeights"),
            ("k3_sequential.keras", "k3_sequential.weights.h5", "Keras 3 .weights.h5, LoadWeights"),
        ];
        foreach (var (modelFile, weightsFile, kind) in weightsOnly)
        {
            using var model = Model.Load(Path.Combine(fixtures, modelFile));
            var path = Path.Combine(fixtures, weightsFile);
            var times = Repeat(() => model.LoadWeights(path), rounds);
            Console.WriteLine(FormattableString.Invariant($"  {kind,-62} {weightsFile,-32} {new FileInfo(path).Length / 1024.0,8:F1} KB  {Median(times),7:F2} ms"));
        }
    }

    private static List<double> Repeat(Action action, int rounds)
    {
        action();
        action();
        return [.. Enumerable.Range(0, rounds).Select(_ => Time(action))];
    }

    private static string? FindFixtures(string[] args)
    {
        var given = Array.IndexOf(args, "--fixtures");
        if (given >= 0 && given + 1 < args.Length)
        {
            return args[given + 1];
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "ConvViz.Tests", "TestAssets", "keras");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void RunPython(string python, string script, string output)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(output);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {python}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{python} {script} failed ({process.ExitCode}): {stderr} The keras-load benchmark writes its Keras file with Debian's python3-h5py and python3-numpy " +
                "(apt-get install python3-h5py); set CONVVIZ_PYTHON to another interpreter that has them.");
        }

        Console.Write(stdout.Result);
    }

    private static double Time(Action action)
    {
        var t0 = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
