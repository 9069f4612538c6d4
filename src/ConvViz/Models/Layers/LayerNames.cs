// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>Rules for user-given layer names: they become module names and tensor keys in saved files.</summary>
internal static class LayerNames
{
    public const int MaxLength = 128;

    /// <summary>Returns <paramref name="name"/> if it is null or valid; throws otherwise.</summary>
    public static string? Validate(string? name, string paramName)
    {
        if (name is null)
        {
            return null;
        }

        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"The layer name '{name}' is not valid: use 1–{MaxLength} ASCII letters, digits, '_' or '-', starting with a letter (for example 'conv_block1').",
                paramName);
        }

        return name;
    }

    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > MaxLength || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
