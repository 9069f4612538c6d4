// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Encodings.Web;
using System.Text.Json;

namespace ConvViz.Models;

/// <summary>
/// The <c>training_state</c> metadata of a model file: the optimizer kind, its step count and learning rate, the names
/// of its slots and parameters (the slot tensors are stored as <c>optimizer/&lt;slot&gt;/&lt;parameter&gt;</c>), and
/// where the data cursors stopped.
/// </summary>
internal sealed record SavedTrainingState(
    OptimizerKind Kind, long Iterations, double LearningRate, IReadOnlyList<string> Slots, IReadOnlyList<string> Parameters, TrainingPosition? Position)
{
    public const string MetadataKey = "training_state";
    private const string Context = "training_state";

    public static string TensorName(string slot, string parameter) => $"optimizer/{slot}/{parameter}";

    public static SavedTrainingState From(OptimizerState state, TrainingPosition? position) =>
        new(state.Options.Kind, state.Iterations, state.LearningRate, state.SlotNames.ToArray(), state.ParameterNames.ToArray(), position);

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("optimizer", Kind.ToString());
            w.WriteNumber("iterations", Iterations);
            w.WriteNumber("learning_rate", LearningRate);
            WriteStrings(w, "slots", Slots);
            WriteStrings(w, "parameters", Parameters);
            if (Position is { } p)
            {
                w.WriteStartObject("position");
                w.WriteNumber("next_epoch", p.NextEpoch);
                WriteNullable(w, "steps_per_epoch", p.StepsPerEpoch);
                w.WriteNumber("train_pass", p.Train.Pass);
                w.WriteNumber("train_offset", p.Train.Offset);
                WriteNullable(w, "validation_steps", p.ValidationSteps);
                WriteNullable(w, "validation_pass", p.Validation?.Pass);
                WriteNullable(w, "validation_offset", p.Validation?.Offset);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static SavedTrainingState Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{MetadataKey} is not valid JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{MetadataKey} must be a JSON object");
            }

            var kindText = ModelJson.String(root, "optimizer", Context);
            if (!Enum.TryParse<OptimizerKind>(kindText, ignoreCase: false, out var kind) || !Enum.IsDefined(kind) || int.TryParse(kindText, out _))
            {
                throw new InvalidDataException($"{Context}.optimizer '{kindText}' is not an optimizer kind ({string.Join(", ", Enum.GetNames<OptimizerKind>())})");
            }

            var iterations = Int64(root, "iterations");
            if (iterations < 0)
            {
                throw new InvalidDataException($"{Context}.iterations must be non-negative, not {iterations}");
            }

            var lrElement = ModelJson.Get(root, "learning_rate", Context);
            if (lrElement.ValueKind != JsonValueKind.Number || !lrElement.TryGetDouble(out var learningRate) || !(learningRate > 0 && double.IsFinite(learningRate)))
            {
                throw new InvalidDataException($"{Context}.learning_rate must be a positive finite number");
            }

            var slots = Strings(root, "slots");
            var parameters = Strings(root, "parameters");
            TrainingPosition? position = null;
            if (root.TryGetProperty("position", out var p) && p.ValueKind != JsonValueKind.Null)
            {
                if (p.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{Context}.position must be an object");
                }

                var validationPass = NullableInt(p, "validation_pass");
                var validationOffset = NullableInt(p, "validation_offset");
                position = new TrainingPosition(
                    NonNegativeInt(p, "next_epoch"),
                    NullableInt(p, "steps_per_epoch"),
                    new CursorPosition(NonNegativeInt(p, "train_pass"), NonNegativeInt(p, "train_offset")),
                    NullableInt(p, "validation_steps"),
                    validationPass is { } vp && validationOffset is { } vo ? new CursorPosition(vp, vo) : null);
            }

            return new SavedTrainingState(kind, iterations, learningRate, slots, parameters, position);
        }
    }

    private static long Int64(JsonElement obj, string name)
    {
        var e = ModelJson.Get(obj, name, Context);
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) ? v : throw new InvalidDataException($"{Context}.{name} must be an integer");
    }

    private static int NonNegativeInt(JsonElement obj, string name)
    {
        var e = ModelJson.Get(obj, name, Context);
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) && v >= 0 ? v : throw new InvalidDataException($"{Context}.position.{name} must be a non-negative integer");
    }

    private static int? NullableInt(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) && v >= 0 ? v : throw new InvalidDataException($"{Context}.position.{name} must be a non-negative integer or null");
    }

    private static string[] Strings(JsonElement obj, string name)
    {
        var e = ModelJson.Get(obj, name, Context);
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{Context}.{name} must be an array of strings");
        }

        return e.EnumerateArray()
            .Select(s => s.ValueKind == JsonValueKind.String ? s.GetString()! : throw new InvalidDataException($"{Context}.{name} must be an array of strings"))
            .ToArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
