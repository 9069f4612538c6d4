// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConvViz.Models;
using ConvViz.Models.Layers;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// Keras 3 import (<c>.keras</c> archives, the legacy <c>.h5</c> and <c>.weights.h5</c>) against the fixtures of
/// TestAssets/keras/make_fixtures.py (written in Keras 3's layout, expected outputs from an independent numpy forward
/// pass), the archive's safety limits, and a mutation test of 2,100 damaged archives.
/// </summary>
public sealed class Keras3ImportTests(ITestOutputHelper output)
{
    private static readonly string s_assets = Path.Combine(AppContext.BaseDirectory, "TestAssets", "keras");

    [Theory]
    [InlineData("k3_sequential.keras", "k3_sequential")]
    [InlineData("k3_functional.keras", "k3_functional")]
    [InlineData("k3_nested.keras", "k3_nested")]
    [InlineData("k3_legacy_sequential.h5", "k3_legacy_sequential")]
    [InlineData("k3_legacy_nested.h5", "k3_legacy_nested")]
    [InlineData("k3_vector.keras", "k3_vector")]
    public void Load_Keras3Fixture_PredictsAsNumpy(string file, string expected)
    {
        using var model = Model.Load(Path.Combine(s_assets, file));
        AssertPredictsAsNumpy(model, expected);
    }

    [Fact]
    public void Load_Archive_KeepsNamesAndHonoursUseBiasCenterScale()
    {
        using var model = Model.Load(Path.Combine(s_assets, "k3_sequential.keras"));
        Assert.Equal(["stem", "bn_noscale", "dw", "max_pooling2d", "sep", "mix", "bn_nocenter", "flatten", "dropout", "head"], model.Layers.Select(l => l.Name));
        var first = Assert.IsType<BatchNormalizationOptions>(model.Layers[1].Options);
        Assert.False(first.Scale);
        Assert.True(first.Center);
        var second = Assert.IsType<BatchNormalizationOptions>(model.Layers[6].Options);
        Assert.False(second.Center);
        Assert.Equal(0.01, second.Epsilon, 12);
        Assert.False(Assert.IsType<DepthwiseConv2DOptions>(model.Layers[2].Options).UseBias);
        Assert.False(Assert.IsType<Conv2DOptions>(model.Layers[5].Options).UseBias);
    }

    [Fact]
    public void Load_Stream_DetectsArchiveByContent_AndByExplicitFormat()
    {
        var bytes = File.ReadAllBytes(Path.Combine(s_assets, "k3_functional.keras"));
        using (var model = Model.Load(new MemoryStream(bytes)))
        {
            AssertPredictsAsNumpy(model, "k3_functional");
            Assert.Equal(["input_layer", "conv_a", "conv_b", "add", "concatenate", "conv_c", "global_max_pooling2d", "dense_out"], model.Layers.Select(l => l.Name));
        }

        using (var model = Model.Load(new NonSeekableStream(bytes), new ModelLoadOptions { Format = ModelFileFormat.KerasArchive }))
        {
            AssertPredictsAsNumpy(model, "k3_functional");
        }

        Assert.ThrowsAny<InvalidDataException>(() => Model.Load(Path.Combine(s_assets, "k3_functional.keras"), new ModelLoadOptions { Format = ModelFileFormat.ConvViz }));
    }

    [Fact]
    public void LoadWeights_Keras3WeightsFile_OntoConvVizBuiltModel_ByOrderAndByName()
    {
        using var byOrder = BuildSequentialArchitecture();
        byOrder.LoadWeights(Path.Combine(s_assets, "k3_sequential.weights.h5"));
        AssertPredictsAsNumpy(byOrder, "k3_sequential_weights");

        // ConvViz's automatic names (conv2d, conv2d_1, batch_normalization, …) are the groups Keras 3 writes.
        using var byName = BuildSequentialArchitecture();
        byName.LoadWeights(Path.Combine(s_assets, "k3_sequential.weights.h5"), byName: true);
        AssertPredictsAsNumpy(byName, "k3_sequential_weights");
    }

    [Fact]
    public void LoadWeights_FromArchive_ByOrderOntoBuiltModel_AndByNameOntoImportedModel()
    {
        using var built = BuildSequentialArchitecture();
        built.LoadWeights(Path.Combine(s_assets, "k3_sequential.keras"));
        AssertPredictsAsNumpy(built, "k3_sequential");

        // The legacy .h5 has the same Keras names: load its architecture, then the other weights, then the archive's by name.
        using var imported = Model.Load(Path.Combine(s_assets, "k3_legacy_sequential.h5"));
        imported.LoadWeights(Path.Combine(s_assets, "k3_sequential.weights.h5"));
        AssertPredictsAsNumpy(imported, "k3_sequential_weights");
        imported.LoadWeights(Path.Combine(s_assets, "k3_sequential.keras"), byName: true);
        AssertPredictsAsNumpy(imported, "k3_sequential");
    }

    [Fact]
    public void LoadWeights_Keras3Mismatch_NamesLayerAndGroup()
    {
        using var model = Model.Load(Path.Combine(s_assets, "k3_functional.keras"));
        var ex = Assert.Throws<InvalidDataException>(() => model.LoadWeights(Path.Combine(s_assets, "k3_sequential.weights.h5")));
        Assert.Contains("conv_a", ex.Message, StringComparison.Ordinal);

        // By name: the groups are named after classes (conv2d, …), not after conv_a.
        ex = Assert.Throws<InvalidDataException>(() => model.LoadWeights(Path.Combine(s_assets, "k3_sequential.weights.h5"), byName: true));
        Assert.Contains("'conv_a'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("load by order", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadWeights_Keras3VariableCountFollowsTheFlags()
    {
        // The file's first BatchNormalization has scale = false (3 variables); a ConvViz one with scale has 4.
        using var model = new SequentialBuilder(8, 8, 3)
            .AddConv2D(new Conv2DOptions { Filters = 4, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU })
            .AddBatchNormalization()
            .Build();
        var ex = Assert.Throws<InvalidDataException>(() => model.LoadWeights(Path.Combine(s_assets, "k3_sequential.weights.h5")));
        Assert.Contains("Layer 'batch_normalization' (BatchNormalization) has 4 Keras variables (gamma, beta, moving_mean, moving_variance)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("holds 3 in 'layers/batch_normalization/vars'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Keras3WeightsOnlyFile_SaysToUseLoadWeights()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(Path.Combine(s_assets, "k3_sequential.weights.h5")));
        Assert.Contains("LoadWeights", ex.Message, StringComparison.Ordinal);
        Assert.Contains("k3_sequential.weights.h5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Archive_UnknownAndTraversalEntries_AreIgnored()
    {
        var entries = ReadEntries("k3_sequential.keras");
        var bytes = Zip(
            ("../config.json", Encoding.UTF8.GetBytes("{ not json")),
            ("/config.json", Encoding.UTF8.GetBytes("{}")),
            ("..\\model.weights.h5", [1, 2, 3]),
            ("assets/../../evil.sh", Encoding.UTF8.GetBytes("rm -rf /")),
            ("Config.json", Encoding.UTF8.GetBytes("[]")),
            ("metadata.json", entries["metadata.json"]),
            ("config.json", entries["config.json"]),
            ("model.weights.h5", entries["model.weights.h5"]));
        using var model = Model.Load(new MemoryStream(bytes));
        AssertPredictsAsNumpy(model, "k3_sequential");
    }

    [Fact]
    public void Archive_Bomb_IsRefusedBeforeOrWhileInflating()
    {
        var entries = ReadEntries("k3_sequential.keras");

        // 40 MiB of JSON whitespace deflates to ~40 KB: its declared size exceeds MaxHeaderBytes (16 MiB) and it is refused unread.
        var padded = new byte[40 << 20];
        Array.Fill(padded, (byte)' ');
        entries["config.json"].CopyTo(padded, 0);
        var bomb = Zip(("metadata.json", entries["metadata.json"]), ("config.json", padded), ("model.weights.h5", entries["model.weights.h5"]));
        Assert.True(bomb.Length < 1 << 20);
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(bomb)));
        Assert.Contains("config.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxHeaderBytes", ex.Message, StringComparison.Ordinal);

        // The same entry with its sizes rewritten to 100 bytes: the bytes are counted while inflating.
        var liar = PatchUncompressedSize(bomb, "config.json", 100);
        ex = Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(liar)));
        Assert.Contains("the model stream", ex.Message, StringComparison.Ordinal);

        // The limits are the load options'.
        ex = Assert.Throws<InvalidDataException>(() => Model.Load(Path.Combine(s_assets, "k3_sequential.keras"), new ModelLoadOptions { MaxHeaderBytes = 1000 }));
        Assert.Contains("config.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("k3_sequential.keras", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Archive_MissingOrDuplicateEntries_AreInvalidData()
    {
        var entries = ReadEntries("k3_sequential.keras");
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(Zip(("metadata.json", entries["metadata.json"]), ("config.json", entries["config.json"])))));
        Assert.Contains("model.weights.h5", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(Zip(("metadata.json", entries["metadata.json"]), ("model.weights.h5", entries["model.weights.h5"])))));
        Assert.Contains("config.json", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<InvalidDataException>(() => Model.Load(new MemoryStream(
            Zip(("config.json", entries["config.json"]), ("config.json", Encoding.UTF8.GetBytes("{}")), ("model.weights.h5", entries["model.weights.h5"])))));
        Assert.Contains("two 'config.json'", ex.Message, StringComparison.Ordinal);

        var whole = File.ReadAllBytes(Path.Combine(s_assets, "k3_sequential.keras"));
        Assert.ThrowsAny<InvalidDataException>(() => Model.Load(new MemoryStream(whole[..(whole.Length / 2)])));
    }

    [Theory]
    [InlineData("class_name", "MyDense", "MyDense")]
    [InlineData("class_name", "Lambda", "Lambda")]
    [InlineData("registered_name", "my_package>MyDense", "my_package>MyDense")]
    [InlineData("module", "my_package.layers", "my_package.layers")]
    public void Archive_CustomOrUnsupportedLayer_IsRefusedByName(string property, string value, string expected)
    {
        var entries = ReadEntries("k3_sequential.keras");
        var config = JsonNode.Parse(entries["config.json"])!;
        var head = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["config"]!["name"] == "head")!;
        head[property] = value;
        var bytes = Zip(("metadata.json", entries["metadata.json"]), ("config.json", Encoding.UTF8.GetBytes(config.ToJsonString())), ("model.weights.h5", entries["model.weights.h5"]));
        var ex = Assert.Throws<NotSupportedException>(() => Model.Load(new MemoryStream(bytes)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'head'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the model stream", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Archive_CustomInitializer_IsRefused()
    {
        var entries = ReadEntries("k3_sequential.keras");
        var config = JsonNode.Parse(entries["config.json"])!;
        var stem = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["config"]!["name"] == "stem")!;
        stem["config"]!["kernel_initializer"] = JsonNode.Parse("""{"module": null, "class_name": "MyInit", "config": {}, "registered_name": "Custom>MyInit"}""");
        var bytes = Zip(("metadata.json", entries["metadata.json"]), ("config.json", Encoding.UTF8.GetBytes(config.ToJsonString())), ("model.weights.h5", entries["model.weights.h5"]));
        var ex = Assert.Throws<NotSupportedException>(() => Model.Load(new MemoryStream(bytes)));
        Assert.Contains("Custom>MyInit", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'stem'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("k3_sequential", 11)]
    [InlineData("k3_functional", 12)]
    [InlineData("k3_nested", 13)]
    public async Task MutatedArchives_LoadOrFailWithInvalidDataOrNotSupported(string fixture, int seed)
    {
        // 700 per fixture (2,100 in all): 400 with 1 to 8 random bytes of the zip overwritten (the archive is stored, so
        // these hit the zip headers, config.json and the HDF5 weights, mostly caught by the CRC), 150 with config.json's
        // text mutated and 150 with 1 to 8 bytes of model.weights.h5 overwritten, both re-zipped (deflated, valid CRC).
        // Each has a time limit: no hang, no crash, no exception other than InvalidData or NotSupported.
        var original = File.ReadAllBytes(Path.Combine(s_assets, fixture + ".keras"));
        var entries = ReadEntries(fixture + ".keras");
        var json = Encoding.UTF8.GetString(entries["config.json"]);
        var random = new Random(seed);
        var outcomes = new int[2];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 700; i++)
        {
            byte[] bytes;
            if (i < 400)
            {
                bytes = (byte[])original.Clone();
                var count = random.Next(1, 9);
                for (var j = 0; j < count; j++)
                {
                    bytes[random.Next(4, bytes.Length)] = (byte)random.Next(256);
                }
            }
            else if (i < 550)
            {
                bytes = Zip(("metadata.json", entries["metadata.json"]), ("config.json", Encoding.UTF8.GetBytes(MutateJson(json, random))), ("model.weights.h5", entries["model.weights.h5"]));
            }
            else
            {
                var weights = (byte[])entries["model.weights.h5"].Clone();
                var count = random.Next(1, 9);
                for (var j = 0; j < count; j++)
                {
                    weights[random.Next(8, weights.Length)] = (byte)random.Next(256);
                }

                bytes = Zip(("metadata.json", entries["metadata.json"]), ("config.json", entries["config.json"]), ("model.weights.h5", weights));
            }

            var task = Task.Run(() =>
            {
                try
                {
                    using var model = Model.Load(new MemoryStream(bytes));
                    return 0;
                }
                catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
                {
                    return 1;
                }
            });
            var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.True(finished == task, $"{fixture} mutation {i} did not finish in 10 s");
            outcomes[await task]++;
        }

        output.WriteLine($"{fixture}: {outcomes[0]} of 700 mutated archives loaded, {outcomes[1]} refused, in {watch.Elapsed.TotalSeconds:F1} s");

        // Both outcomes occur: the mutations neither all break the file nor all miss it.
        Assert.True(outcomes[0] > 0 && outcomes[1] > 0, $"{fixture}: {outcomes[0]} loaded, {outcomes[1]} refused");
    }

    private static string MutateJson(string json, Random random)
    {
        var text = new StringBuilder(json);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(text.Length);
            switch (random.Next(6))
            {
                case 0:
                    // A digit changed: kernel sizes, filters, strides, shapes.
                    var digit = text.ToString().IndexOfAny("0123456789".ToCharArray(), at);
                    if (digit >= 0)
                    {
                        text[digit] = (char)('0' + random.Next(10));
                    }

                    break;
                case 1:
                    text.Remove(at, Math.Min(random.Next(1, 40), text.Length - at));
                    break;
                case 2:
                    text.Insert(at, new[] { "[", "]", "{", "}", ",", "\"", "null", "-1", "1e308", "99999999999", "\"__keras_tensor__\"" }[random.Next(11)]);
                    break;
                case 3:
                    var start = random.Next(text.Length);
                    var length = Math.Min(random.Next(1, 200), text.Length - start);
                    text.Insert(at, text.ToString(start, length));
                    break;
                case 4:
                    // A word swapped for another Keras word.
                    string[] words = ["Conv2D", "Dense", "Add", "Functional", "Sequential", "InputLayer", "same", "valid", "relu", "true", "false"];
                    var from = words[random.Next(words.Length)];
                    var index = text.ToString().IndexOf(from, at, StringComparison.Ordinal);
                    if (index >= 0)
                    {
                        text.Remove(index, from.Length).Insert(index, words[random.Next(words.Length)]);
                    }

                    break;
                default:
                    text[at] = (char)random.Next(32, 127);
                    break;
            }
        }

        return text.ToString();
    }

    private static Model BuildSequentialArchitecture() =>
        new SequentialBuilder(8, 8, 3)
            .AddConv2D(new Conv2DOptions { Filters = 4, KernelSize = 3, Padding = Padding.Same, Activation = Activation.ReLU })
            .AddBatchNormalization(new BatchNormalizationOptions { Scale = false })
            .Add(new DepthwiseConv2DOptions { KernelSize = 3, DepthMultiplier = 2, UseBias = false })
            .AddMaxPooling2D()
            .Add(new SeparableConv2DOptions { Filters = 5, KernelSize = 3, Padding = Padding.Same, Activation = Activation.Tanh })
            .AddConv2D(new Conv2DOptions { Filters = 3, KernelSize = 1, UseBias = false })
            .AddBatchNormalization(new BatchNormalizationOptions { Center = false, Epsilon = 0.01 })
            .AddFlatten()
            .AddDropout(0.3)
            .AddDense(new DenseOptions { Units = 4, Activation = Activation.Softmax })
            .Build();

    private static Dictionary<string, byte[]> ReadEntries(string file)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(s_assets, file));
        return zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var input = e.Open();
            using var copy = new MemoryStream();
            input.CopyTo(copy);
            return copy.ToArray();
        });
    }

    private static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var output = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                output.Write(bytes);
            }
        }

        return memory.ToArray();
    }

    /// <summary>Rewrites an entry's uncompressed size in its local header and in the central directory (as a hostile archive would).</summary>
    private static byte[] PatchUncompressedSize(byte[] zip, string name, uint size)
    {
        var bytes = (byte[])zip.Clone();
        var nameBytes = Encoding.ASCII.GetBytes(name);
        for (var i = 0; i + 46 < bytes.Length; i++)
        {
            var local = bytes[i] == 'P' && bytes[i + 1] == 'K' && bytes[i + 2] == 3 && bytes[i + 3] == 4;
            var central = bytes[i] == 'P' && bytes[i + 1] == 'K' && bytes[i + 2] == 1 && bytes[i + 3] == 2;
            var nameAt = local ? i + 30 : central ? i + 46 : -1;
            var nameLength = local ? BitConverter.ToUInt16(bytes, i + 26) : central ? BitConverter.ToUInt16(bytes, i + 28) : 0;
            if (nameAt < 0 || nameLength != nameBytes.Length || !bytes.AsSpan(nameAt, nameLength).SequenceEqual(nameBytes))
            {
                continue;
            }

            BitConverter.TryWriteBytes(bytes.AsSpan(local ? i + 22 : i + 24, 4), size);
        }

        return bytes;
    }

    private static void AssertPredictsAsNumpy(Model model, string fixture)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(s_assets, fixture + ".json")));
        var shape = doc.RootElement.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var input = doc.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var expected = doc.RootElement.GetProperty("output").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        using var scope = NewDisposeScope();
        // Image fixtures are stored NHWC; vector fixtures [N, features] need no permutation.
        var nchw = shape.Length == 4 ? tensor(input, shape).permute(0, 3, 1, 2).contiguous() : tensor(input, shape);
        var actual = model.Predict(nchw).to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-5, $"{fixture}: largest difference from numpy {worst:E2}");
    }

    /// <summary>A read-only stream that cannot seek, as a network stream.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
