// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>ZeroPadding2D, the layer added as one file to prove the layer structure: Keras' shape and values, and a model-file round trip.</summary>
public sealed class ZeroPadding2DTests
{
    [Fact]
    public void Pads_each_side_with_zeros_and_keeps_the_interior()
    {
        using var model = new SequentialBuilder(3, 4, 2)
            .AddZeroPadding2D(new ZeroPadding2DOptions { Top = 1, Bottom = 2, Left = 0, Right = 3 })
            .Build();
        using var scope = NewDisposeScope();
        using var elementCount = Scalars.Create(24);
        using var one = Scalars.Create(1f);
        var x = arange(Scalars.Zero, elementCount, Scalars.One, dtype: ScalarType.Float32).reshape(1, 2, 3, 4).add(one, Scalars.One);

        var y = model.Forward(x);

        Assert.Equal("(None, 6, 7, 2)", model.OutputShape.ToString());
        Assert.Equal(new long[] { 1, 2, 6, 7 }, y.shape);
        Assert.Equal(x.sum().item<float>(), y.sum().item<float>());
        Assert.True(y[.., .., 1..4, 0..4].contiguous().allclose(x.contiguous()));
        Assert.Equal(0f, y[.., .., 0, ..].abs().sum().item<float>());
        Assert.Equal(0f, y[.., .., 4..6, ..].abs().sum().item<float>());
        Assert.Equal(0f, y[.., .., .., 4..7].abs().sum().item<float>());
    }

    [Fact]
    public void Is_named_saved_and_loaded_like_every_layer()
    {
        var path = Path.Combine(Path.GetTempPath(), $"convviz-zeropad-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var model = new SequentialBuilder(5, 5, 1).WithSeed(1).AddZeroPadding2D(2, 1).AddConv2D(2, 3).AddZeroPadding2D().Build())
            {
                Assert.Equal(["zero_padding2d", "conv2d", "zero_padding2d_1"], model.Layers.Select(l => l.Name));
                model.Save(path);
            }

            using var loaded = Model.Load(path);
            Assert.Equal("ZeroPadding2D", loaded.Layers[0].TypeName);
            Assert.Equal(new ZeroPadding2DOptions { Top = 2, Bottom = 2, Left = 1, Right = 1, Name = "zero_padding2d" }, loaded.Layers[0].Options);
            Assert.Equal("(None, 9, 7, 1)", loaded.Layers[0].OutputShape.ToString());
            Assert.Equal("(None, 9, 7, 2)", loaded.OutputShape.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_negative_count_or_a_flat_input_is_refused_naming_the_layer()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroPadding2DOptions { Left = -1 });
        var ex = Assert.Throws<ArgumentException>(() => new SequentialBuilder(4, 4, 1).AddFlatten().AddZeroPadding2D());
        Assert.Contains("Layer 1 'zero_padding2d' (ZeroPadding2D)", ex.Message);
    }
}
