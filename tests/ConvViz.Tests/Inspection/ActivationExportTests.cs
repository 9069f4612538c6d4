// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Buffers.Binary;
using System.Text;
using ConvViz.Inspection;
using static TorchSharp.torch;

namespace ConvViz.Tests.Inspection;

public sealed class ActivationExportTests
{
    [Fact]
    public void ToKerasOrder_MovesChannelsLast()
    {
        using var scope = NewDisposeScope();
        using var elementCount = Scalars.Create(2 * 3 * 4 * 5);
        var x = arange(Scalars.Zero, elementCount, Scalars.One, dtype: ScalarType.Float32).reshape(2, 3, 4, 5);

        var keras = ActivationExport.ToKerasOrder(x);

        Assert.Equal([2L, 4L, 5L, 3L], keras.shape);
        Assert.Equal(x[1, 2, 3, 4].item<float>(), keras[1, 3, 4, 2].item<float>());
    }

    [Fact]
    public void ToArray_ReturnsRowMajorValues()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]).t();

        var values = ActivationExport.ToArray(x);

        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], values);
    }

    [Fact]
    public void WriteNpy_WritesVersion1LittleEndianFloat32WithAlignedHeader()
    {
        using var scope = NewDisposeScope();
        using var elementCount = Scalars.Create(24);
        var x = arange(Scalars.Zero, elementCount, Scalars.One, dtype: ScalarType.Float32).reshape(1, 2, 3, 4);
        using var stream = new MemoryStream();

        ActivationExport.WriteNpy(x, stream, kerasOrder: true);

        var bytes = stream.ToArray();
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, bytes[..8]);
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(0, (10 + headerLength) % 64);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 4, 2), }", header);
        Assert.EndsWith("\n", header);
        var data = bytes.AsSpan(10 + headerLength);
        Assert.Equal(24 * 4, data.Length);

        // Keras order [0, h=0, w=1, c=1] is the NCHW element [0, 1, 0, 1] = 13.
        Assert.Equal(13f, BinaryPrimitives.ReadSingleLittleEndian(data[(4 * 3)..]));
    }

    [Fact]
    public void SaveNpy_BothFunctions_DefaultToKerasOrder()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var dir = Directory.CreateTempSubdirectory("convviz-npy-default").FullName;
        try
        {
            using var set = IntermediateModel.From(model, [0]).Run(rand(1, 3, 150, 150));
            var single = Path.Combine(dir, "single.npy");
            using var nchw = new MemoryStream();

            ActivationExport.SaveNpy(set["conv2d"], single);
            var fromSet = set.SaveNpy(Path.Combine(dir, "set"))[0];
            ActivationExport.WriteNpy(set["conv2d"], nchw, kerasOrder: false);

            Assert.Equal(File.ReadAllBytes(fromSet), File.ReadAllBytes(single));
            Assert.Contains("'shape': (1, 148, 148, 8), }", Encoding.ASCII.GetString(File.ReadAllBytes(single), 10, 118), StringComparison.Ordinal);
            Assert.Contains("'shape': (1, 8, 148, 148), }", Encoding.ASCII.GetString(nchw.ToArray(), 10, 118), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WriteNpy_OneDimensional_UsesATupleWithTrailingComma()
    {
        using var scope = NewDisposeScope();
        using var stream = new MemoryStream();

        ActivationExport.WriteNpy(ones(5), stream);

        var header = Encoding.ASCII.GetString(stream.ToArray(), 10, BinaryPrimitives.ReadUInt16LittleEndian(stream.ToArray().AsSpan(8)));
        Assert.Contains("'shape': (5,), }", header);
    }

    [Fact]
    public void SaveNpy_ActivationSet_WritesOneFilePerLayer()
    {
        using var scope = NewDisposeScope();
        using var model = BlogModel.CreateBuilder().Build();
        var dir = Directory.CreateTempSubdirectory("convviz-npy").FullName;
        try
        {
            using var set = IntermediateModel.From(model, [0, 5]).Run(rand(1, 3, 150, 150));

            var paths = set.SaveNpy(dir);

            Assert.Equal([Path.Combine(dir, "conv2d.npy"), Path.Combine(dir, "conv2d_3.npy")], paths);
            Assert.Equal(128 + (33 * 33 * 64 * 4), new FileInfo(paths[1]).Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
