// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Json;
using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Models;

namespace ConvViz.Training;

/// <summary>Carries the training data's preprocessing and class names onto the model, or reports a conflict.</summary>
internal static class DataMetadata
{
    /// <summary>
    /// Sets the model's preprocessing and class names from <paramref name="train"/> when the model has none; when they
    /// differ, throws or warns by <see cref="FitOptions.MetadataMismatch"/>. Checks both before changing either.
    /// </summary>
    public static void Adopt(Model model, IBatchSource train, FitOptions options)
    {
        var dataPreprocessing = train.Preprocessing;
        var adoptPreprocessing = false;
        if (train is InMemoryDataset or FeatureDataset)
        {
            // Tensors in memory were prepared by the caller: the dataset's preprocessing only describes their shape,
            // not how their pixels were scaled, so it is neither taken nor compared. A feature dataset's preprocessing
            // is that of the images its base model saw, not of the features the trained model takes.
        }
        else if (model.Preprocessing is { } modelPreprocessing)
        {
            var difference = Difference(modelPreprocessing, dataPreprocessing);
            if (difference is not null)
            {
                Conflict(
                    options, "Preprocessing", difference,
                    $"The model's Preprocessing differs from the training data's: {difference}. A model trained on one preprocessing and used with another predicts on " +
                    "differently scaled pixels. Set model.Preprocessing = train.Preprocessing (or null) before Fit, build the data source with the model's preprocessing, " +
                    "or set FitOptions.MetadataMismatch = MetadataMismatchPolicy.Warn to keep the model's.");
            }
        }
        else
        {
            adoptPreprocessing = true;
        }

        var dataNames = train.ClassNames;
        var adoptNames = false;
        if (dataNames.Count > 0 && !model.OutputShape.IsSpatial && Fits(model, dataNames))
        {
            if (model.ClassNames.Count == 0)
            {
                adoptNames = true;
            }
            else if (!model.ClassNames.SequenceEqual(dataNames, StringComparer.Ordinal))
            {
                var difference = $"model [{string.Join(", ", model.ClassNames)}], training data [{string.Join(", ", dataNames)}]";
                Conflict(
                    options, "ClassNames", difference,
                    $"The model's ClassNames differ from the training data's: {difference}. Output unit i would be named after a different class than it learned. " +
                    "Set model.ClassNames = train.ClassNames (or []) before Fit, or set FitOptions.MetadataMismatch = MetadataMismatchPolicy.Warn to keep the model's.");
            }
        }

        if (adoptPreprocessing)
        {
            model.Preprocessing = dataPreprocessing;
            TrainingLog.MetadataAdopted(options.Logger, "Preprocessing", ModelJson.WritePreprocessing(dataPreprocessing));
        }

        if (adoptNames)
        {
            model.ClassNames = dataNames;
            TrainingLog.MetadataAdopted(options.Logger, "ClassNames", string.Join(", ", dataNames));
        }
    }

    private static void Conflict(FitOptions options, string what, string difference, string message)
    {
        if (options.MetadataMismatch == MetadataMismatchPolicy.Throw)
        {
            throw new ArgumentException(message, nameof(options));
        }

        TrainingLog.MetadataMismatch(options.Logger, what, difference);
    }

    /// <summary>Whether the names suit the model's output: one per unit, or two for a single sigmoid unit.</summary>
    private static bool Fits(Model model, IReadOnlyList<string> names)
    {
        var units = model.OutputShape.Channels;
        return names.Count == units || (units == 1 && names.Count == 2);
    }

    /// <summary>Lists the settings that differ (<c>rescale: model null, training data 0.00392</c>), or <see langword="null"/> when none do.</summary>
    internal static string? Difference(ImagePreprocessing model, ImagePreprocessing data)
    {
        using var a = JsonDocument.Parse(ModelJson.WritePreprocessing(model));
        using var b = JsonDocument.Parse(ModelJson.WritePreprocessing(data));
        var differences = new List<string>();
        foreach (var property in a.RootElement.EnumerateObject())
        {
            var left = property.Value.GetRawText();
            var right = b.RootElement.TryGetProperty(property.Name, out var other) ? other.GetRawText() : "absent";
            if (left != right)
            {
                differences.Add($"{property.Name}: model {left}, training data {right}");
            }
        }

        return differences.Count == 0 ? null : string.Join("; ", differences);
    }
}
