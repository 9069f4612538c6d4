// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Text;
using ConvViz.Models;
using ConvViz.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// Hostile model files that <c>Models/ModelPersistenceTests</c> does not already cover (plain truncation, bad magic,
/// other version, header length past the end, huge header length, a changed tensor shape and random single-byte
/// corruption are there). Each must end in an <see cref="InvalidDataException"/> naming the file and the problem,
/// before any native tensor is allocated from the file's numbers.
/// </summary>
public sealed class ModelFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("convviz-reliability-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A small model with every tensor kind: Conv2D → BatchNormalization → Flatten → Dense(3, softmax).</summary>
    internal static Model SmallModel(int seed = 3)
    {
        var model = new SequentialBuilder(6, 5, 2).WithSeed(seed)
            .AddConv2D(4, 3, Activation.ReLU)
            .AddBatchNormalization()
            .AddFlatten()
            .AddDense(3, Activation.Softmax)
            .Build();
        model.ClassNames = ["a", "b", "c"];
        return model;
    }

    internal static byte[] SmallModelBytes(string directory)
    {
        var path = Path.Combine(directory, "seed.safetensors");
        using (var model = SmallModel())
        {
            model.Save(path);
        }

        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    [Fact]
    public void Load_BitFlipInWeights_ThrowsChecksumMismatch()
    {
        var bytes = SmallModelBytes(_directory);
        var dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        bytes[dataStart + ((bytes.Length - dataStart) / 2)] ^= 0x10;
        var path = Write(bytes);

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains(path, ex.Message);
        Assert.Contains("checksum", ex.Message);
    }

    [Fact]
    public void Load_BitFlipInArchitectureNumber_ThrowsChecksumOrArchitectureError()
    {
        var bytes = SmallModelBytes(_directory);
        var text = Encoding.Latin1.GetString(bytes);
        var at = text.IndexOf("\\\"units\\\":3", StringComparison.Ordinal);
        Assert.True(at > 0);
        bytes[at + "\\\"units\\\":".Length] ^= 0x01; // '3' → '2': still a valid option
        var path = Write(bytes);

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_ChecksumRemoved_StillLoadsLikeAFileFromAnotherSafetensorsWriter()
    {
        var bytes = SmallModelBytes(_directory);
        var header = ReadHeader(bytes);
        var start = header.IndexOf(",\"content_sha256\":\"", StringComparison.Ordinal);
        Assert.True(start > 0);
        var end = header.IndexOf('"', start + ",\"content_sha256\":\"".Length) + 1;
        var path = Write(WithHeader(bytes, header.Remove(start, end - start)));

        using var model = Model.Load(path);
        using var reference = SmallModel();

        Assert.Equal(reference.ParameterCount, model.ParameterCount);
    }

    [Theory]
    [InlineData("\"data_offsets\":[0,", "\"data_offsets\":[\"0\",", "data_offsets")]
    [InlineData("\"data_offsets\":[0,", "\"data_offsets\":[-8,", "data_offsets")]
    [InlineData("\"dtype\":\"F32\"", "\"dtype\":\"F16\"", "dtype 'F16'")]
    [InlineData("\"shape\":[4,2,3,3]", "\"shape\":[4,2,3,\"3\"]", "shape must contain non-negative integers")]
    [InlineData("\"shape\":[4,2,3,3]", "\"shape\":[4,2,3,9223372036854775807]", "the architecture needs [4, 2, 3, 3]")]
    [InlineData("\"shape\":[4,2,3,3]", "\"shape\":[1,1,1,1,1,1,1,1,1,4,2,3,3]", "at most 8 dimensions")]
    public void Load_CorruptTensorTable_ThrowsInvalidDataNamingTheProblem(string find, string replacement, string expected) =>
        AssertHeaderEditFails(find, replacement, expected);

    [Theory]
    [InlineData("\\\"units\\\":3", "\\\"units\\\":2147483647", "tensor 'dense.kernel'")]
    [InlineData("\\\"units\\\":3", "\\\"units\\\":99999999999", "32-bit integer")]
    [InlineData("\\\"filters\\\":4", "\\\"filters\\\":-4", "architecture.layers[0]")]
    [InlineData("\\\"kernel_size\\\":[3,3]", "\\\"kernel_size\\\":[\\\"3\\\",3]", "kernel_size")]
    [InlineData("\\\"kernel_size\\\":[3,3]", "\\\"kernel_size\\\":[300,3]", "architecture")]
    [InlineData("\\\"height\\\":6", "\\\"height\\\":2147483647", "architecture")]
    [InlineData("\\\"type\\\":\\\"Dense\\\"", "\\\"type\\\":\\\"Lambda\\\"", "type")]
    public void Load_AbsurdOrMalformedArchitecture_ThrowsInvalidData(string find, string replacement, string expected) =>
        AssertHeaderEditFails(find, replacement, expected);

    /// <summary>Replaces the first <paramref name="find"/> in a saved model's JSON header; loading must fail naming the file and the problem.</summary>
    private void AssertHeaderEditFails(string find, string replacement, string expected)
    {
        var bytes = SmallModelBytes(_directory);
        var header = ReadHeader(bytes);
        Assert.Contains(find, header);
        var path = Write(WithHeader(bytes, ReplaceFirst(header, find, replacement)));

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Load_DuplicateTensorEntry_ThrowsInvalidData()
    {
        var bytes = SmallModelBytes(_directory);
        var header = ReadHeader(bytes);
        var at = header.IndexOf("\"dense.bias\":", StringComparison.Ordinal);
        var close = header.IndexOf('}', at) + 1;
        var entry = header[at..close];
        var path = Write(WithHeader(bytes, header.Insert(close, "," + entry)));

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("appears twice", ex.Message);
    }

    [Fact]
    public void Load_DeeplyNestedJson_ThrowsInvalidDataWithoutStackOverflow()
    {
        var bytes = SmallModelBytes(_directory);
        var header = ReadHeader(bytes);
        var bomb = "\"x\":" + new string('[', 100_000) + new string(']', 100_000) + ",";
        var path = Write(WithHeader(bytes, header.Insert(1, bomb)));

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("not valid JSON", ex.Message);
    }

    [Fact]
    public void Load_InvalidUtf8Header_ThrowsInvalidData()
    {
        var bytes = SmallModelBytes(_directory);
        bytes[9] = 0xC3; // a lead byte followed by ASCII
        var path = Write(bytes);

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains("UTF-8", ex.Message);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    public void Load_TinyHeaderLength_ThrowsInvalidData(ulong headerLength)
    {
        var bytes = SmallModelBytes(_directory);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        var path = Write(bytes);

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(path));

        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_CorruptFile_LeavesNoNativeTensorsBehind()
    {
        var bytes = SmallModelBytes(_directory);
        var dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        bytes[^3] ^= 0xFF;
        var path = Write(bytes);
        Assert.True(bytes.Length > dataStart);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        using (NewDisposeScope())
        {
            Assert.Throws<InvalidDataException>(() => Model.Load(path));
        }

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private string Write(byte[] bytes)
    {
        var path = Path.Combine(_directory, "model.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    internal static string ReadHeader(byte[] bytes) =>
        Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes)).TrimEnd(' ');

    /// <summary>Replaces the JSON header (re-padded to a multiple of 8, with a new length prefix) and keeps the data section.</summary>
    internal static byte[] WithHeader(byte[] bytes, string header)
    {
        var dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var json = Encoding.UTF8.GetBytes(header);
        var padded = new byte[json.Length + ((8 - (json.Length % 8)) % 8)];
        padded.AsSpan().Fill((byte)' ');
        json.CopyTo(padded, 0);
        var result = new byte[8 + padded.Length + (bytes.Length - dataStart)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded.Length);
        padded.CopyTo(result, 8);
        bytes.AsSpan(dataStart).CopyTo(result.AsSpan(8 + padded.Length));
        return result;
    }

    private static string ReplaceFirst(string text, string find, string replacement)
    {
        var at = text.IndexOf(find, StringComparison.Ordinal);
        return text[..at] + replacement + text[(at + find.Length)..];
    }
}
