// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Json;

namespace ConvViz;

/// <summary>
/// Strict readers of JSON fields for the file formats (the safetensors header, the model file's metadata, layer
/// options): each error is an <see cref="InvalidDataException"/> naming the field (<c>architecture.layers[3].filters must be …</c>).
/// </summary>
internal static class JsonFields
{
    /// <summary>The exception every reader throws for a bad field.</summary>
    public static InvalidDataException Invalid(string reason, Exception? inner = null) => new(reason, inner);

    public static JsonElement Get(JsonElement obj, string name, string context)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"{context} must be a JSON object");
        }

        return obj.TryGetProperty(name, out var value) ? value : throw Invalid($"{context}.{name} is missing");
    }

    public static string String(JsonElement obj, string name, string context)
    {
        var e = Get(obj, name, context);
        return e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Invalid($"{context}.{name} must be a string");
    }

    public static int Int(JsonElement obj, string name, string context)
    {
        var e = Get(obj, name, context);
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) ? v : throw Invalid($"{context}.{name} must be a 32-bit integer");
    }

    public static double Double(JsonElement obj, string name, string context)
    {
        var e = Get(obj, name, context);
        return e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var v) && double.IsFinite(v) ? v : throw Invalid($"{context}.{name} must be a finite number");
    }

    public static bool Bool(JsonElement obj, string name, string context)
    {
        var e = Get(obj, name, context);
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid($"{context}.{name} must be true or false"),
        };
    }

    public static T Enum<T>(JsonElement obj, string name, string context)
        where T : struct, Enum => ParseEnum<T>(Get(obj, name, context), $"{context}.{name}");

    /// <summary>Reads an enum member by its exact name (no numbers, no undefined values).</summary>
    public static T ParseEnum<T>(JsonElement e, string context)
        where T : struct, Enum
    {
        if (e.ValueKind == JsonValueKind.String && System.Enum.TryParse<T>(e.GetString(), ignoreCase: false, out var value)
            && System.Enum.IsDefined(value) && char.IsAsciiLetter(e.GetString()![0]))
        {
            return value;
        }

        throw Invalid($"{context} must be one of {string.Join(", ", System.Enum.GetNames<T>())}");
    }
}
