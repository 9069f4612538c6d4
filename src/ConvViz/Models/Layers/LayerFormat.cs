// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;

namespace ConvViz.Models.Layers;

/// <summary>Writes a layer's option fields into its object in the model file's architecture JSON (snake_case names, as Keras' config).</summary>
internal readonly struct LayerWriter(Utf8JsonWriter writer)
{
    public void Int(string name, int value) => writer.WriteNumber(name, value);

    public void Double(string name, double value) => writer.WriteNumber(name, value);

    public void Bool(string name, bool value) => writer.WriteBoolean(name, value);

    public void NullableDouble(string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    public void Enum<T>(string name, T value)
        where T : struct, Enum => writer.WriteString(name, value.ToString());

    public void Size(string name, Size2D value)
    {
        writer.WriteStartArray(name);
        writer.WriteNumberValue(value.Height);
        writer.WriteNumberValue(value.Width);
        writer.WriteEndArray();
    }

    public void Ints(string name, IReadOnlyList<int> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteNumberValue(value);
        }

        writer.WriteEndArray();
    }

    public void NullableSize(string name, Size2D? value)
    {
        if (value is { } size)
        {
            Size(name, size);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}

/// <summary>Strictly reads a layer's option fields; every error names the field (<c>architecture.layers[3].filters must be …</c>).</summary>
internal readonly struct LayerReader(JsonElement layer, string context)
{
    public int Int(string name) => JsonFields.Int(layer, name, context);

    public double Double(string name) => JsonFields.Double(layer, name, context);

    public bool Bool(string name) => JsonFields.Bool(layer, name, context);

    public double? NullableDouble(string name) => JsonFields.Get(layer, name, context).ValueKind == JsonValueKind.Null ? null : Double(name);

    public T Enum<T>(string name)
        where T : struct, Enum => JsonFields.Enum<T>(layer, name, context);

    public Size2D Size(string name) => ReadSize(layer, name, context);

    /// <summary>Whether the optional field is present (fields written only when they differ from their default).</summary>
    public bool Has(string name) => layer.ValueKind == JsonValueKind.Object && layer.TryGetProperty(name, out _);

    /// <summary>An array of 1–8 32-bit integers; the options validate their values.</summary>
    public int[] Ints(string name)
    {
        var e = JsonFields.Get(layer, name, context);
        if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() is >= 1 and <= 8
            && e.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out _)))
        {
            return [.. e.EnumerateArray().Select(v => v.GetInt32())];
        }

        throw JsonFields.Invalid($"{context}.{name} must be an array of 1 to 8 32-bit integers");
    }

    public Size2D? NullableSize(string name) => JsonFields.Get(layer, name, context).ValueKind == JsonValueKind.Null ? null : Size(name);

    /// <summary>Reads a <see cref="Size2D"/> stored as [height, width] with positive integers.</summary>
    public static Size2D ReadSize(JsonElement obj, string name, string context)
    {
        var e = JsonFields.Get(obj, name, context);
        if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2
            && e[0].ValueKind == JsonValueKind.Number && e[1].ValueKind == JsonValueKind.Number
            && e[0].TryGetInt32(out var h) && e[1].TryGetInt32(out var w) && h > 0 && w > 0)
        {
            return new Size2D(h, w);
        }

        throw JsonFields.Invalid($"{context}.{name} must be [height, width] with positive integers");
    }
}

/// <summary>
/// The layer types this assembly defines, found once by reflection: every non-abstract <see cref="LayerOptions"/> record
/// with a <see cref="LayerTypeAttribute"/> and a static <c>Read(LayerReader)</c>. There is no central list to edit.
/// </summary>
internal static class LayerRegistry
{
    private static readonly Lazy<FrozenDictionary<string, Func<LayerReader, LayerOptions>>> Readers = new(Discover);

    /// <summary>Gets the known type strings, sorted.</summary>
    public static IReadOnlyList<string> TypeNames => [.. Readers.Value.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Reads the options of a layer of type <paramref name="typeName"/>.</summary>
    /// <exception cref="InvalidDataException">The type is unknown or a field is invalid.</exception>
    public static LayerOptions Read(string typeName, LayerReader reader, string context) =>
        Readers.Value.TryGetValue(typeName, out var read)
            ? read(reader)
            : throw JsonFields.Invalid($"{context}.type '{typeName}' is not a layer type this version knows; known types: {string.Join(", ", TypeNames)}");

    private static FrozenDictionary<string, Func<LayerReader, LayerOptions>> Discover()
    {
        var readers = new Dictionary<string, Func<LayerReader, LayerOptions>>(StringComparer.Ordinal);
        foreach (var type in typeof(LayerOptions).Assembly.GetTypes().Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(LayerOptions))))
        {
            var attribute = LayerTypeAttribute.Of(type);
            var method = type.GetMethod("Read", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, [typeof(LayerReader)])
                ?? throw new InvalidOperationException($"Layer options type {type.Name} has no static Read(LayerReader) method.");
            if (!readers.TryAdd(attribute.TypeName, method.CreateDelegate<Func<LayerReader, LayerOptions>>()))
            {
                throw new InvalidOperationException($"Two layer options types use the type string '{attribute.TypeName}'.");
            }
        }

        return readers.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
