// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Json;

namespace ConvViz.Tests.Parity;

/// <summary>Reads the reference data written by <c>eng/make-parity-fixtures.py</c> from Pillow and scipy.</summary>
internal static class ParityFixtures
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    public static T Read<T>(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestAssets", "Parity", name);
        return JsonSerializer.Deserialize<T>(File.ReadAllText(path), s_json)
            ?? throw new InvalidDataException($"{path} is empty; regenerate it with eng/make-parity-fixtures.py.");
    }
}

internal sealed record PillowNearestFixture(string Generator, PillowNearestCase[] Cases);

internal sealed record PillowNearestCase(int SourceWidth, int SourceHeight, int Width, int Height, int[] Columns, int[] Rows)
{
    public override string ToString() => $"{SourceWidth}×{SourceHeight} → {Width}×{Height}";
}

internal sealed record ScipyWarpFixture(string Generator, int Size, ScipyWarpCase[] Cases);

internal sealed record ScipyWarpCase(string Name, string Mode, double FillValue, ScipyWarpParameters Parameters, float[] Values);

internal sealed record ScipyWarpParameters(double Rotation, double ShiftX, double ShiftY, double Shear, double ZoomX, double ZoomY);

internal sealed record PillowFormatFixture(string Generator, int Width, int Height, PillowFormatCase[] Cases);

internal sealed record PillowFormatCase(string File, string PillowMode, int[] Rgb, int[] Alpha)
{
    public override string ToString() => File;
}
