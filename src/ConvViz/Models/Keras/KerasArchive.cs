// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace ConvViz.Models.Keras;

/// <summary>The entries of a Keras 3 <c>.keras</c> archive that ConvViz reads.</summary>
/// <param name="Config">The text of <c>config.json</c>.</param>
/// <param name="KerasVersion">The <c>keras_version</c> of <c>metadata.json</c>, if any.</param>
/// <param name="Weights">The bytes of <c>model.weights.h5</c>, or <see langword="null"/> when the archive has none.</param>
internal sealed record KerasArchiveContent(string Config, string? KerasVersion, byte[]? Weights);

/// <summary>
/// Reads a Keras 3 <c>.keras</c> file (a zip of <c>metadata.json</c>, <c>config.json</c> and <c>model.weights.h5</c>)
/// as hostile input: only those three entry names are read, at the archive's root and spelled exactly so; every other
/// entry (assets, path traversal names such as <c>../config.json</c>, directories) is ignored. An entry's declared size
/// is checked against the limits before it is opened, and the bytes are counted while it is inflated, so a zip bomb or a
/// lying size stops at the limit. Nothing in the archive is executed.
/// </summary>
internal static class KerasArchive
{
    /// <summary>The architecture entry.</summary>
    public const string ConfigEntry = "config.json";

    /// <summary>The metadata entry (<c>keras_version</c>, <c>date_saved</c>).</summary>
    public const string MetadataEntry = "metadata.json";

    /// <summary>The weights entry: an HDF5 file in Keras 3's <c>layers/&lt;path&gt;/vars/&lt;i&gt;</c> layout.</summary>
    public const string WeightsEntry = "model.weights.h5";

    private const int MaxEntries = 65_536;
    private const int MaxDepth = 64;
    private const string Marker = "keras-archive-refusal";
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Returns whether <paramref name="header"/> starts with a zip local file header (<c>PK\x03\x04</c>).</summary>
    public static bool IsZip(ReadOnlySpan<byte> header) =>
        header.Length >= 4 && header[0] == (byte)'P' && header[1] == (byte)'K' && header[2] == 3 && header[3] == 4;

    /// <summary>Reads the known entries of a <c>.keras</c> archive.</summary>
    /// <param name="stream">A seekable stream holding the archive; not closed.</param>
    /// <param name="source">The file name used in error messages.</param>
    /// <param name="limits">
    /// The limits: <see cref="ModelLoadOptions.MaxHeaderBytes"/> for each JSON entry,
    /// <see cref="ModelLoadOptions.MaxFileSizeBytes"/> for the weights entry and for all entries together, expanded.
    /// </param>
    /// <exception cref="InvalidDataException">The archive is corrupt, has no <c>config.json</c>, holds a known entry twice, or an entry exceeds a limit.</exception>
    public static KerasArchiveContent Read(Stream stream, string source, ModelLoadOptions limits)
    {
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            if (zip.Entries.Count > MaxEntries)
            {
                throw Refuse($"'{source}' holds {zip.Entries.Count} zip entries; a .keras file holds three (at most {MaxEntries} are accepted).");
            }

            ZipArchiveEntry? config = null, metadata = null, weights = null;
            foreach (var entry in zip.Entries)
            {
                // Exact, case-sensitive root names only: "../config.json", "/config.json", "a/config.json" are not these.
                switch (entry.FullName)
                {
                    case ConfigEntry:
                        config = Single(config, entry, source);
                        break;
                    case MetadataEntry:
                        metadata = Single(metadata, entry, source);
                        break;
                    case WeightsEntry:
                        weights = Single(weights, entry, source);
                        break;
                }
            }

            if (config is null)
            {
                throw Refuse($"'{source}' is a zip archive but not a Keras 3 .keras file: it has no '{ConfigEntry}' entry.");
            }

            long total = 0;
            var configText = Decode(ReadEntry(config, limits.MaxHeaderBytes, "ModelLoadOptions.MaxHeaderBytes", ref total, limits, source), ConfigEntry, source);
            var version = metadata is null
                ? null
                : ReadVersion(Decode(ReadEntry(metadata, limits.MaxHeaderBytes, "ModelLoadOptions.MaxHeaderBytes", ref total, limits, source), MetadataEntry, source), source);
            var weightBytes = weights is null ? null : ReadEntry(weights, limits.MaxFileSizeBytes, "ModelLoadOptions.MaxFileSizeBytes", ref total, limits, source);
            return new KerasArchiveContent(configText, version, weightBytes);
        }
        catch (Exception ex) when (ex is not NotSupportedException && !ex.Data.Contains(Marker))
        {
            // The zip reader's own messages (a missing end of central directory, a bad CRC, an unknown compression method) do not name the file.
            throw new InvalidDataException($"'{source}' is not a readable .keras (zip) archive: {ex.Message}", ex);
        }
    }

    private static ZipArchiveEntry Single(ZipArchiveEntry? existing, ZipArchiveEntry entry, string source) =>
        existing is null ? entry : throw Refuse($"'{source}' holds two '{entry.FullName}' entries; which one Keras would read is ambiguous, so neither is.");

    private static byte[] ReadEntry(ZipArchiveEntry entry, long limit, string limitName, ref long total, ModelLoadOptions limits, string source)
    {
        var declared = entry.Length;
        if (declared < 0 || declared > limit)
        {
            throw Refuse($"Entry '{entry.FullName}' of '{source}' declares {declared} bytes expanded, more than {limitName} ({limit}).");
        }

        if (total + declared > limits.MaxFileSizeBytes)
        {
            throw Refuse($"The entries of '{source}' declare more than ModelLoadOptions.MaxFileSizeBytes ({limits.MaxFileSizeBytes}) bytes expanded.");
        }

        using var input = entry.Open();
        using var buffer = new MemoryStream((int)Math.Min(declared, 1 << 20));
        var chunk = new byte[81920];
        int read;
        while ((read = input.Read(chunk)) > 0)
        {
            if (buffer.Length + read > Math.Min(limit, declared) || total + buffer.Length + read > limits.MaxFileSizeBytes)
            {
                // Counted while inflating: a size field that lies (a zip bomb, a corrupt header) stops here.
                throw Refuse(
                    $"Entry '{entry.FullName}' of '{source}' expands beyond its declared {declared} bytes (limit {limitName}, {limit}): a zip bomb or a corrupt archive.");
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length != declared)
        {
            throw Refuse($"Entry '{entry.FullName}' of '{source}' expands to {buffer.Length} bytes but declares {declared}: the archive is corrupt.");
        }

        total += buffer.Length;
        return buffer.ToArray();
    }

    private static string Decode(byte[] bytes, string entry, string source)
    {
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (ArgumentException ex)
        {
            throw Refuse($"Entry '{entry}' of '{source}' is not UTF-8 text: {ex.Message}", ex);
        }
    }

    private static string? ReadVersion(string json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                   document.RootElement.TryGetProperty("keras_version", out var version) && version.ValueKind == JsonValueKind.String
                ? KerasModelConfig.Truncate(version.GetString()!)
                : null;
        }
        catch (JsonException ex)
        {
            throw Refuse($"Entry '{MetadataEntry}' of '{source}' is not valid JSON (or nests deeper than {MaxDepth}): {ex.Message}", ex);
        }
    }

    private static InvalidDataException Refuse(string message, Exception? inner = null)
    {
        var ex = new InvalidDataException(message, inner);
        ex.Data[Marker] = true;
        return ex;
    }
}
