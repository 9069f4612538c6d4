// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ConvViz;

/// <summary>
/// The optional content checksum of a safetensors file, a ConvViz extension stored as the metadata string
/// <c>content_sha256</c>: the SHA-256 of every other metadata entry (in ordinal key order, key and value each as
/// length-prefixed UTF-8) followed by the data section. Files from other writers have none.
/// </summary>
internal static class SafeTensorsChecksum
{
    /// <summary>The metadata key of the checksum.</summary>
    public const string Key = "content_sha256";

    /// <summary>Hashes every metadata entry except the checksum itself, in ordinal key order, as length-prefixed UTF-8.</summary>
    public static void HashMetadata(IncrementalHash hash, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        Span<byte> length = stackalloc byte[8];
        foreach (var (key, value) in metadata.Where(p => p.Key != Key).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var text in (ReadOnlySpan<string>)[key, value])
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(text);
                BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
                hash.AppendData(length);
                hash.AppendData(bytes);
            }
        }
    }

    /// <summary>
    /// Checks the SHA-256 of the metadata and the data section against <see cref="Key"/>, so a flipped bit in the
    /// tensors or in the metadata is reported instead of loaded. Without the key the file is accepted on its
    /// structural checks alone.
    /// </summary>
    /// <exception cref="InvalidDataException">The checksum does not match.</exception>
    public static void Verify(SafeTensorsSource source, IReadOnlyDictionary<string, string> metadata, long dataStart, long dataLength)
    {
        if (!metadata.TryGetValue(Key, out var expected))
        {
            return;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        HashMetadata(hash, metadata);
        var buffer = new byte[1 << 16];
        for (long done = 0; done < dataLength;)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, dataLength - done));
            source.ReadExactly(chunk, dataStart + done);
            hash.AppendData(chunk);
            done += chunk.Length;
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            var stated = expected.Length <= 64 ? expected : expected[..64] + "…";
            throw new InvalidDataException($"the content checksum does not match (SHA-256 {actual}, the header says {stated}); the file was corrupted after it was saved (a flipped bit, a bad copy or disk). Restore it from a good copy");
        }
    }
}
