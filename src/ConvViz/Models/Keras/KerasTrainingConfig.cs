// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Json;

namespace ConvViz.Models.Keras;

/// <summary>
/// Keras' compile settings from a model file (<c>training_config</c> of Keras 2 HDF5 files, <c>compile_config</c> of
/// Keras 3 <c>config.json</c>) as ConvViz <see cref="CompileOptions"/>, so that <c>Fit</c> continues training with
/// the loss, optimizer and metrics the model was trained with. The optimizer's state (its moments) is not imported.
/// </summary>
internal static class KerasTrainingConfig
{
    /// <summary>
    /// Maps the settings, or returns <see langword="null"/> with the reason when one of them has no ConvViz
    /// equivalent (the model then loads uncompiled; <see cref="Model.Compile(CompileOptions)"/> sets them).
    /// </summary>
    public static (CompileOptions? Options, string? Unmapped) Map(JsonElement config)
    {
        if (config.ValueKind != JsonValueKind.Object)
        {
            return (null, "the compile settings are not a JSON object");
        }

        var loss = config.TryGetProperty("loss", out var l) ? Loss(l) : null;
        if (loss is null)
        {
            return (null, $"the loss {Describe(config, "loss")} has no ConvViz equivalent");
        }

        var optimizerElement = config.TryGetProperty("optimizer_config", out var o) ? o : config.TryGetProperty("optimizer", out var o3) ? o3 : default;
        var optimizer = Optimizer(optimizerElement);
        if (optimizer is null)
        {
            return (null, $"the optimizer {Truncate(optimizerElement.ValueKind == JsonValueKind.Undefined ? "(none)" : optimizerElement.GetRawText())} has no ConvViz equivalent");
        }

        List<Metric> metrics = [];
        if (config.TryGetProperty("metrics", out var m))
        {
            foreach (var name in Names(m))
            {
                if (Metric(name) is not { } metric)
                {
                    return (null, $"the metric '{Truncate(name)}' has no ConvViz equivalent");
                }

                if (!metrics.Contains(metric))
                {
                    metrics.Add(metric);
                }
            }
        }

        return (new CompileOptions { Loss = loss.Value, Optimizer = optimizer, Metrics = metrics }, null);
    }

    private static Loss? Loss(JsonElement element)
    {
        var (name, settings) = element.ValueKind switch
        {
            JsonValueKind.String => (element.GetString(), default(JsonElement)),
            JsonValueKind.Object when element.TryGetProperty("class_name", out var c) && c.ValueKind == JsonValueKind.String =>
                (c.GetString(), element.TryGetProperty("config", out var cfg) ? cfg : default),
            _ => (null, default),
        };
        if (settings.ValueKind == JsonValueKind.Object && settings.TryGetProperty("from_logits", out var logits) && logits.ValueKind == JsonValueKind.True)
        {
            return null; // ConvViz's losses take probabilities.
        }

        return Normalise(name) switch
        {
            "binarycrossentropy" => Models.Loss.BinaryCrossentropy,
            "categoricalcrossentropy" => Models.Loss.CategoricalCrossentropy,
            "sparsecategoricalcrossentropy" => Models.Loss.SparseCategoricalCrossentropy,
            "meansquarederror" or "mse" => Models.Loss.MeanSquaredError,
            "meanabsoluteerror" or "mae" => Models.Loss.MeanAbsoluteError,
            _ => null,
        };
    }

    private static OptimizerOptions? Optimizer(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("class_name", out var c) || c.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var config = element.TryGetProperty("config", out var cfg) && cfg.ValueKind == JsonValueKind.Object ? cfg : default;
        double? Number(params string[] names)
        {
            foreach (var name in names)
            {
                if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d))
                {
                    return d;
                }
            }

            return null;
        }

        // A learning-rate schedule (an object) has no ConvViz equivalent.
        if (config.ValueKind == JsonValueKind.Object && (config.TryGetProperty("learning_rate", out var lr) || config.TryGetProperty("lr", out lr)) && lr.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        var learningRate = Number("learning_rate", "lr");
        try
        {
            var kind = Normalise(c.GetString()) switch
            {
                "adam" => OptimizerKind.Adam,
                "adamax" => OptimizerKind.Adamax,
                "sgd" => OptimizerKind.Sgd,
                "rmsprop" => OptimizerKind.RmsProp,
                _ => (OptimizerKind?)null,
            };
            if (kind is null || (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("amsgrad", out var ams) && ams.ValueKind == JsonValueKind.True))
            {
                return null;
            }

            var options = new OptimizerOptions { Kind = kind.Value, LearningRate = learningRate, Decay = Number("decay") ?? 0 };
            return kind switch
            {
                OptimizerKind.Adam or OptimizerKind.Adamax => options with { Beta1 = Number("beta_1") ?? 0.9, Beta2 = Number("beta_2") ?? 0.999, Epsilon = Number("epsilon") ?? 1e-7 },
                OptimizerKind.RmsProp => options with { Rho = Number("rho") ?? 0.9, Epsilon = Number("epsilon") ?? 1e-7, Momentum = Number("momentum") ?? 0 },
                _ => options with
                {
                    Momentum = Number("momentum") ?? 0,
                    Nesterov = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("nesterov", out var n) && n.ValueKind == JsonValueKind.True,
                },
            };
        }
        catch (ArgumentException)
        {
            return null; // A value outside ConvViz's valid range.
        }
    }

    private static Metric? Metric(string name) => Normalise(name) switch
    {
        "accuracy" or "acc" => Models.Metric.Accuracy,
        "binaryaccuracy" => Models.Metric.BinaryAccuracy,
        "categoricalaccuracy" => Models.Metric.CategoricalAccuracy,
        "sparsecategoricalaccuracy" => Models.Metric.SparseCategoricalAccuracy,
        _ => null,
    };

    /// <summary>Metric names from a list, a list of lists (Keras 3) or objects with a class name.</summary>
    private static IEnumerable<string> Names(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                yield return element.GetString()!;
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray().Take(64))
                {
                    foreach (var name in Names(item))
                    {
                        yield return name;
                    }
                }

                break;
            case JsonValueKind.Object when element.TryGetProperty("class_name", out var c) && c.ValueKind == JsonValueKind.String:
                yield return c.GetString()!;
                break;
            case JsonValueKind.Null:
                break;
            default:
                yield return element.GetRawText();
                break;
        }
    }

    private static string Normalise(string? name) =>
        name is null ? string.Empty : new string([.. name.Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant)]);

    private static string Describe(JsonElement config, string property) =>
        config.TryGetProperty(property, out var value) ? Truncate(value.GetRawText()) : "(none)";

    private static string Truncate(string text) => text.Length > 80 ? text[..80] + "…" : text;
}
