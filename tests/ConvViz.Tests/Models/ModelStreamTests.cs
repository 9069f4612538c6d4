// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using ConvViz.Models;
using ConvViz.Tests.Data;
using ConvViz.Tests.Training;
using ConvViz.Training;

namespace ConvViz.Tests.Models;

/// <summary>Model.Save(Stream) / Model.Load(Stream) with the file checks, and the validation of saved training state.</summary>
public sealed class ModelStreamTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void SaveToStream_WritesTheSameBytesAsTheFile_AndLoadsBack()
    {
        using var model = Trained();
        var path = _temp.Combine("m.safetensors");
        model.Save(path);
        using var stream = new MemoryStream();
        model.Save(stream);
        Assert.Equal(File.ReadAllBytes(path), stream.ToArray());

        stream.Position = 0;
        using var loaded = Model.Load(stream);
        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal(model.ClassNames, loaded.ClassNames);
        using var input = TorchSharp.torch.rand([3, 1, 4, 4]);
        using var a = model.Predict(input);
        using var b = loaded.Predict(input);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
    }

    [Fact]
    public void Load_NonSeekableStream_IsBufferedAndLoads()
    {
        using var model = Trained();
        var bytes = Bytes(model, withState: true);
        using var loaded = Model.Load(new ForwardOnlyStream(bytes));
        Assert.Equal(model.GetOptimizer().Iterations, loaded.GetOptimizer().Iterations);
    }

    [Fact]
    public void Load_NonSeekableStream_LargerThanTheLimit_IsRefusedWhileReading()
    {
        using var model = Trained();
        var bytes = Bytes(model, withState: false);
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(new ForwardOnlyStream(bytes), new ModelLoadOptions { MaxFileSizeBytes = 100 }));
        Assert.Contains("MaxFileSizeBytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_StreamAtAnOffset_ReadsFromThere()
    {
        using var model = Trained();
        var bytes = Bytes(model, withState: false);
        using var stream = new MemoryStream();
        stream.Write("PREFIX"u8);
        stream.Write(bytes);
        stream.Position = 6;
        using var loaded = Model.Load(stream);
        Assert.Equal(model.ParameterCount, loaded.ParameterCount);
    }

    [Fact]
    public void Load_TruncatedStream_NamesTheProblem()
    {
        using var model = Trained();
        var bytes = Bytes(model, withState: false);
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(bytes[..^10])));
        Assert.StartsWith("The stream is not a valid ConvViz model file", ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongMagic_AndHugeHeaderLength_AreRefused()
    {
        var other = Encoding.UTF8.GetBytes("{\"__metadata__\":{\"format\":\"pt\"}}");
        var file = new byte[8 + other.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)other.Length);
        other.CopyTo(file, 8);
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(file))).Message, StringComparison.Ordinal);

        var huge = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue / 2);
        Assert.Contains("MaxHeaderBytes", Assert.Throws<InvalidDataException>(() => Model.Load(new ForwardOnlyStream(huge))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Streams_ThatCannotBeReadOrWritten_AreRefusedClearly()
    {
        using var model = Trained();
        var bytes = Bytes(model, withState: false);
        using var readOnly = new MemoryStream(bytes, writable: false);
        var write = Assert.Throws<ArgumentException>(() => model.Save(readOnly));
        Assert.Contains("not writable", write.Message, StringComparison.Ordinal);
        var read = Assert.Throws<ArgumentException>(() => Model.Load(new WriteOnlyStream()));
        Assert.Contains("not readable", read.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OptimizerStateForAnotherOptimizer_IsRefused()
    {
        using var model = Trained();
        var bytes = EditTrainingState(Bytes(model, withState: true), state => state["optimizer"] = "Adam");
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(bytes)));
        Assert.Contains("optimizer state is for Adam but the saved compile settings use Adamax", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OptimizerStateThatDoesNotMatchTheArchitecture_IsRefused()
    {
        using var model = Trained();
        var missing = EditTrainingState(Bytes(model, withState: true), state => state["parameters"]!.AsArray().RemoveAt(0));
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(missing)));
        Assert.Contains("does not match the architecture", ex.Message, StringComparison.Ordinal);

        var foreign = EditTrainingState(Bytes(model, withState: true), state => state["parameters"]![0] = "conv2d_9.kernel");
        ex = Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(foreign)));
        Assert.Contains("'conv2d_9.kernel', which the architecture does not have", ex.Message, StringComparison.Ordinal);
    }

    private static Model Trained()
    {
        using var data = TrainingTestData.Brightness(8, 4, 3);
        var model = TrainingTestData.TinyModel(7).Compile(new CompileOptions());
        model.ClassNames = ["left", "right"];
        model.Fit(data, new FitOptions { Epochs = 1, Verbosity = TrainingVerbosity.Silent });
        return model;
    }

    private static byte[] Bytes(Model model, bool withState)
    {
        using var stream = new MemoryStream();
        model.Save(stream, new ModelSaveOptions { IncludeTrainingState = withState });
        return stream.ToArray();
    }

    /// <summary>Rewrites the training_state metadata (and the header length); the checksum no longer matches, but the state is checked first.</summary>
    private static byte[] EditTrainingState(byte[] file, Action<JsonObject> edit)
    {
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = JsonNode.Parse(file.AsSpan(8, headerLength))!.AsObject();
        var metadata = header["__metadata__"]!.AsObject();
        var state = JsonNode.Parse(metadata["training_state"]!.GetValue<string>())!.AsObject();
        edit(state);
        metadata["training_state"] = state.ToJsonString();
        var newHeader = Encoding.UTF8.GetBytes(header.ToJsonString());
        var result = new byte[8 + newHeader.Length + (file.Length - 8 - headerLength)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)newHeader.Length);
        newHeader.CopyTo(result, 8);
        file.AsSpan(8 + headerLength).CopyTo(result.AsSpan(8 + newHeader.Length));
        return result;
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }

    private sealed class WriteOnlyStream : MemoryStream
    {
        public override bool CanRead => false;
    }
}
