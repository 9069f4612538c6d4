// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;

namespace ConvViz.Tests.Models;

/// <summary>
/// What each layer type declares about itself (<see cref="LayerOptions.HasFilters"/>, <see cref="LayerOptions.IsTrainingOnly"/>),
/// checked for every layer type the assembly defines: a new layer type fails here until its values are listed.
/// </summary>
public sealed class LayerCapabilitiesTests
{
    /// <summary>One instance of every layer type with the values it must declare.</summary>
    private static readonly (LayerOptions Layer, bool HasFilters, bool IsTrainingOnly)[] Expected =
    [
        (new ActivationOptions { Activation = Activation.ReLU }, false, false),
        (new AddOptions(), false, false),
        (new ConcatenateOptions(), false, false),
        (new SubtractOptions(), false, false),
        (new MultiplyOptions(), false, false),
        (new AverageOptions(), false, false),
        (new MaximumOptions(), false, false),
        (new MinimumOptions(), false, false),
        (new InputLayerOptions(), false, false),
        (new AveragePooling2DOptions(), false, false),
        (new BatchNormalizationOptions(), false, false),
        (new Conv2DOptions { Filters = 4, KernelSize = 3 }, true, false),
        (new SeparableConv2DOptions { Filters = 4, KernelSize = 3 }, false, false),
        (new ReshapeOptions { TargetShape = [4] }, false, false),
        (new DenseOptions { Units = 2 }, false, false),
        (new DepthwiseConv2DOptions { KernelSize = 3 }, false, false),
        (new DropoutOptions { Rate = 0.3 }, false, true),
        (new FlattenOptions(), false, false),
        (new GlobalAveragePooling2DOptions(), false, false),
        (new GlobalMaxPooling2DOptions(), false, false),
        (new MaxPooling2DOptions(), false, false),
        (new ReLUOptions(), false, false),
        (new RescalingOptions { Scale = 2 }, false, false),
        (new ZeroPadding2DOptions(), false, false),
        (new ChannelSliceOptions { Start = 0, Count = 1 }, false, false),
        (new ElementwiseConstantOptions { Operation = ElementwiseOperation.Add, ConstantShape = [1, 1, 1, 1] }, false, false),
    ];

    public static TheoryData<string> LayerTypes => [.. Expected.Select(e => e.Layer.TypeName)];

    [Theory]
    [MemberData(nameof(LayerTypes))]
    public void Each_layer_type_declares_its_capabilities(string typeName)
    {
        var (layer, hasFilters, isTrainingOnly) = Expected.Single(e => e.Layer.TypeName == typeName);

        Assert.Equal(hasFilters, layer.HasFilters);
        Assert.Equal(isTrainingOnly, layer.IsTrainingOnly);
    }

    [Fact]
    public void A_grouped_convolution_has_no_filters_to_draw()
    {
        // Its kernel [filters, in / groups, kh, kw] does not give every filter a slice per input channel.
        Assert.True(new Conv2DOptions { Filters = 4, KernelSize = 3, Groups = 1 }.HasFilters);
        Assert.False(new Conv2DOptions { Filters = 4, KernelSize = 3, Groups = 2 }.HasFilters);
    }

    [Fact]
    public void Every_layer_type_of_the_assembly_is_listed()
    {
        Assert.Equal(LayerRegistry.TypeNames, Expected.Select(e => e.Layer.TypeName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Filters_mean_a_kernel_of_filters_by_input_channels_by_height_by_width()
    {
        // The promise FilterGrid relies on: a layer with filters has a weight 'kernel' [filters, in, kh, kw].
        using var model = new SequentialBuilder(8, 8, 3)
            .Add(new Conv2DOptions { Filters = 4, KernelSize = (3, 2) })
            .AddFlatten()
            .AddDense(2)
            .Build();

        var withFilters = Assert.Single(model.Layers, l => l.Options.HasFilters);
        using var kernel = model.GetWeight(withFilters.Index, "kernel");
        Assert.Equal([4L, 3L, 3L, 2L], kernel.shape);
        Assert.Equal(withFilters.OutputShape.Channels, kernel.shape[0]);
    }

    [Fact]
    public void Capabilities_travel_with_the_options_of_a_built_model()
    {
        using var model = BlogModel.CreateBuilder().Build();

        Assert.Equal(["conv2d", "conv2d_1", "conv2d_2", "conv2d_3", "conv2d_4"], model.Layers.Where(l => l.Options.HasFilters).Select(l => l.Name));
        Assert.Equal(["dropout", "dropout_1", "dropout_2", "dropout_3"], model.Layers.Where(l => l.Options.IsTrainingOnly).Select(l => l.Name));
    }
}
