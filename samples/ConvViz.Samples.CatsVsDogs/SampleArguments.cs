// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;

namespace ConvViz.Samples.CatsVsDogs;

/// <summary>The command line of the sample.</summary>
internal sealed class SampleArguments
{
    public const string Usage = """
        Usage: ConvViz.Samples.CatsVsDogs [options]

          --data <folder>     Kaggle Dogs vs. Cats train/ folder (cat.N.jpg, dog.N.jpg). Without it the bundled
                              Fashion-MNIST shoes (boot.N.png, sneaker.N.png) and the bundled cat photo are used.
          --epochs <n>        Training epochs (default: 8 on the bundled data, about a minute on 2 cores; 100 with --data, as the blog).
          --out <folder>      Output folder (default: ./convviz-output).
          --seed <n>          Seed of the weights, shuffling, augmentation and dropout (default: 42).
          --image-size <n>    Height and width of the model input (default: 150, as the blog; at least 40).
          --help              Show this text.
        """;

    public string? DataDirectory { get; private init; }

    public int? Epochs { get; private init; }

    public string OutputDirectory { get; private init; } = "convviz-output";

    public int Seed { get; private init; } = 42;

    public int? ImageSize { get; private init; }

    public bool ShowHelp { get; private init; }

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a readable message on a bad one.</summary>
    public static SampleArguments Parse(IReadOnlyList<string> args)
    {
        string? data = null;
        int? epochs = null;
        var output = "convviz-output";
        var seed = 42;
        int? imageSize = null;
        var help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            switch (name)
            {
                case "--help" or "-h" or "-?":
                    help = true;
                    break;
                case "--data":
                    data = Value(args, ref i);
                    break;
                case "--epochs":
                    epochs = Positive(name, Value(args, ref i));
                    break;
                case "--out":
                    output = Value(args, ref i);
                    break;
                case "--seed":
                    seed = Integer(name, Value(args, ref i));
                    break;
                case "--image-size":
                    imageSize = Positive(name, Value(args, ref i));
                    if (imageSize.Value < 40)
                    {
                        throw new ArgumentException($"--image-size {imageSize} is too small for the blog's model (five 3×3 convolutions and three 2×2 poolings need at least 40 pixels: 40 → 38 → 36 → 18 → 16 → 8 → 6 → 3 → 1).");
                    }

                    break;
                default:
                    throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        return new SampleArguments { DataDirectory = data, Epochs = epochs, OutputDirectory = output, Seed = seed, ImageSize = imageSize, ShowHelp = help };
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new ArgumentException($"Option '{args[i]}' needs a value.");
        }

        i++;
        return args[i];
    }

    private static int Integer(string name, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"Option '{name}' needs a whole number, not '{text}'.");

    private static int Positive(string name, string text)
    {
        var value = Integer(name, text);
        return value > 0 ? value : throw new ArgumentException($"Option '{name}' must be positive, not {value}.");
    }
}
