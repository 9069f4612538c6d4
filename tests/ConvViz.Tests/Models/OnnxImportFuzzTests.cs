// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using Google.Protobuf;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// Seeded mutation fuzzing of the ONNX importer: 2,100 mutated files (byte overwrites, and edits of the parsed model:
/// dims, attributes, op types, inputs, initializers), each loaded under a time limit. Every one must load or fail with
/// <see cref="InvalidDataException"/> or <see cref="NotSupportedException"/>: no hang, no crash, no other exception, no
/// leaked tensor. Every fifth is also loaded from a file, which is parsed from its stream, with the same outcome.
/// </summary>
public sealed class OnnxImportFuzzTests(ITestOutputHelper output)
{
    private const int PerFixture = 350;

    [Theory]
    [InlineData("conv_pool", 1)]
    [InlineData("residual", 2)]
    [InlineData("activations", 3)]
    [InlineData("nhwc", 4)]
    [InlineData("flatten_nchw", 5)]
    [InlineData("split_concat", 6)]
    public async Task MutatedFiles_LoadOrFailWithInvalidDataOrNotSupported(string fixture, int seed)
    {
        var original = File.ReadAllBytes(OnnxImportTests.FixturePath(fixture));
        var random = new Random(seed);
        var (loaded, refused) = (0, 0);
        for (var i = 0; i < PerFixture; i++)
        {
            var bytes = i % 2 == 0 ? MutateBytes(original, random) : MutateModel(original, random);
            var task = Task.Factory.StartNew(
                () =>
                {
                    var fromStream = Loads(() => Model.Load(new MemoryStream(bytes), new ModelLoadOptions { Format = ModelFileFormat.Onnx }), "stream");
                    if (i % 5 == 0)
                    {
                        // A file is parsed straight from its stream (no whole-file buffer): the same outcome, the same checks.
                        var path = Path.Combine(Path.GetTempPath(), $"convviz-fuzz-{Guid.NewGuid():N}.onnx");
                        File.WriteAllBytes(path, bytes);
                        try
                        {
                            Assert.True(fromStream == Loads(() => Model.Load(path), "file"), $"{fixture} mutation {i}: the file and the stream load differ");
                        }
                        finally
                        {
                            File.Delete(path);
                        }
                    }

                    return fromStream;

                    bool Loads(Func<Model> load, string source)
                    {
                        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                        try
                        {
                            using var scope = NewDisposeScope();
                            using var model = load();
                            return true;
                        }
                        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
                        {
                            return false;
                        }
                        finally
                        {
                            Assert.True(before == DisposeScopeManager.Statistics.ThreadTotalLiveCount, $"{fixture} mutation {i} ({source}) leaked native tensors");
                        }
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(finished == task, $"{fixture} mutation {i} (seed {seed}) did not finish in 20 s");
            try
            {
                if (await task)
                {
                    loaded++;
                }
                else
                {
                    refused++;
                }
            }
            catch (Exception ex)
            {
                Assert.Fail($"{fixture} mutation {i} (seed {seed}) threw {ex.GetType().Name}: {ex}");
            }
        }

        output.WriteLine($"{fixture}: {loaded} loaded, {refused} refused");
        Assert.Equal(PerFixture, loaded + refused);
    }

    private static byte[] MutateBytes(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        var count = random.Next(1, 9);
        for (var j = 0; j < count; j++)
        {
            bytes[random.Next(0, bytes.Length)] = (byte)random.Next(256);
        }

        return random.Next(8) == 0 ? bytes[..random.Next(1, bytes.Length)] : bytes;
    }

    private static byte[] MutateModel(byte[] original, Random random)
    {
        var model = ModelProto.Parser.ParseFrom(original);
        var graph = model.Graph;
        long[] interesting = [0, 1, -1, 2, 3, 7, 65536, int.MaxValue, long.MaxValue, long.MinValue];
        long Pick() => interesting[random.Next(interesting.Length)];
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            switch (random.Next(8))
            {
                case 0 when graph.Initializer.Count > 0:
                    {
                        var t = graph.Initializer[random.Next(graph.Initializer.Count)];
                        if (t.Dims.Count > 0)
                        {
                            t.Dims[random.Next(t.Dims.Count)] = Pick();
                        }

                        break;
                    }

                case 1:
                    {
                        var node = graph.Node[random.Next(graph.Node.Count)];
                        if (node.Attribute.Count > 0)
                        {
                            var a = node.Attribute[random.Next(node.Attribute.Count)];
                            a.I = Pick();
                            a.F = (float)(random.NextDouble() * 20 - 10);
                            if (a.Ints.Count > 0)
                            {
                                a.Ints[random.Next(a.Ints.Count)] = Pick();
                            }
                        }

                        break;
                    }

                case 2:
                    {
                        string[] ops = ["Conv", "Relu", "Add", "Gemm", "Split", "Concat", "Reshape", "Transpose", "Pad", "MaxPool", "Constant", "Loop", "Flatten", "Clip"];
                        graph.Node[random.Next(graph.Node.Count)].OpType = ops[random.Next(ops.Length)];
                        break;
                    }

                case 3:
                    {
                        var node = graph.Node[random.Next(graph.Node.Count)];
                        var names = graph.Node.SelectMany(n => n.Output).Concat(graph.Initializer.Select(t => t.Name)).Append("input").Append("missing").ToList();
                        if (node.Input.Count > 0)
                        {
                            node.Input[random.Next(node.Input.Count)] = names[random.Next(names.Count)];
                        }

                        break;
                    }

                case 4 when graph.Initializer.Count > 0:
                    graph.Initializer.RemoveAt(random.Next(graph.Initializer.Count));
                    break;
                case 5:
                    {
                        var dims = graph.Input[0].Type.TensorType.Shape.Dim;
                        dims[random.Next(dims.Count)].DimValue = Pick();
                        break;
                    }

                case 6 when graph.Node.Count > 1:
                    {
                        var a = random.Next(graph.Node.Count);
                        var b = random.Next(graph.Node.Count);
                        (graph.Node[a], graph.Node[b]) = (graph.Node[b], graph.Node[a]);
                        break;
                    }

                default:
                    if (graph.Initializer.Count > 0)
                    {
                        var t = graph.Initializer[random.Next(graph.Initializer.Count)];
                        if (!t.RawData.IsEmpty)
                        {
                            t.RawData = ByteString.CopyFrom(t.RawData.Span[..random.Next(t.RawData.Length)]);
                        }
                        else
                        {
                            t.DataType = random.Next(0, 17);
                        }
                    }

                    break;
            }
        }

        return model.ToByteArray();
    }
}
