// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Imaging;
using ConvViz.Inspection;
using ConvViz.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static ConvViz.Interactive.Tests.TestHelpers;
using static TorchSharp.torch;

namespace ConvViz.Interactive.Tests;

public sealed class FormatterTests
{
    [Fact]
    public void Model_shows_the_summary_with_both_indices_and_the_blog_total()
    {
        using var model = BlogModel();
        var html = Html(model);
        Assert.Contains("<b class=\"total-params\">385,090</b>", html);
        Assert.Contains("R index", html);

        // R's get_layer(index = 6) is row 5: conv2d_3 with 18,496 parameters.
        Assert.Matches("<td[^>]*>5</td><td[^>]*>6</td><td[^>]*>conv2d_3 ", html);
        Assert.DoesNotContain("data:image", html);
        Assert.Contains("Total params: 385,090", Text(model));
    }

    [Fact]
    public void Graph_model_shows_the_functional_header_and_what_each_layer_is_connected_to()
    {
        using var model = ResidualModel();
        var html = Html(model);

        Assert.Contains("Model: &quot;model&quot;, input 16", html);
        Assert.Contains(">Connected to</th>", html);

        // input_layer takes the image (empty cell); the merge lists both inputs, one per line, as Keras writes them.
        Assert.Matches("<td[^>]*>0</td><td[^>]*>1</td><td[^>]*>input_layer .*?</td>(<td[^>]*>[^<]*</td>){2}<td[^>]*></td></tr>", html);
        Assert.Matches("<td[^>]*>conv2d_1 .*?</td>(<td[^>]*>[^<]*</td>){2}<td[^>]*>conv2d\\[0\\]\\[0\\]</td></tr>", html);
        Assert.Matches("<td[^>]*>add .*?</td>(<td[^>]*>[^<]*</td>){2}<td[^>]*>conv2d\\[0\\]\\[0\\]<br>conv2d_1\\[0\\]\\[0\\]</td></tr>", html);
        Assert.Contains("Connected to", Text(model));
    }

    [Fact]
    public void Sequential_model_has_no_connected_to_column()
    {
        using var model = SmallModel();
        var html = Html(model);

        Assert.Contains("Model: &quot;sequential&quot;", html);
        Assert.DoesNotContain("Connected to", html);
    }

    [Fact]
    public void Vector_input_model_shows_its_feature_count()
    {
        using var model = new ConvViz.Models.SequentialBuilder(new ConvViz.Models.Layers.LayerShape(784)).WithSeed(1)
            .AddDense(16, ConvViz.Models.Layers.Activation.ReLU).AddDense(10, ConvViz.Models.Layers.Activation.Softmax).Build();
        var html = Html(model);

        Assert.Contains("Model: &quot;sequential&quot;, input 784<", html);
        Assert.Contains("Total params: 12,730", Text(model));
    }

    [Fact]
    public void Disposed_model_shows_disposed_instead_of_throwing()
    {
        var model = SmallModel();
        model.Dispose();
        Assert.Equal("(Model: disposed)", Html(model));
        Assert.Equal("(Model: disposed)", Text(model));
    }

    [Fact]
    public void Disposed_tensor_shows_disposed_instead_of_throwing()
    {
        var tensor = rand(1, 4, 8, 8);
        tensor.Dispose();
        Assert.Equal("(Tensor: disposed)", Html(tensor));
        Assert.Equal("(Tensor: disposed)", Text(tensor));
    }

    [Fact]
    public void Feature_map_tensor_is_drawn_as_an_embedded_grid()
    {
        using var maps = rand(1, 8, 20, 20, generator: new Generator(3));
        var html = Html(maps);
        Assert.Contains("Feature maps [1, 8, 20, 20]: 8 channel(s)", html);
        var png = Assert.Single(Pngs(html));

        // 3×3 tiles of at least 20 pixels (8 maps, ⌈√8⌉ = 3 columns).
        Assert.InRange(png.Width, 60, 1600);
        Assert.InRange(png.Height, 60, 1600);
    }

    [Fact]
    public void Feature_maps_of_a_batch_show_the_first_sample_and_say_so()
    {
        using var maps = rand(3, 2, 8, 8);
        Assert.Contains("Sample 0 of 3.", Html(maps));
    }

    [Fact]
    public void Many_channels_are_capped_and_counted()
    {
        using var maps = rand(1, 100, 6, 6);
        var html = Html(maps);
        Assert.Contains($"First {NotebookFormatters.MaxDrawnChannels} of 100 channels.", html);
        Assert.Single(Pngs(html));
    }

    [Fact]
    public void Two_dimensional_tensor_is_drawn_as_a_heatmap()
    {
        using var map = rand(20, 20);
        var html = Html(map);
        Assert.Contains("Heatmap [20, 20]", html);
        var png = Assert.Single(Pngs(html));
        Assert.Equal((240, 240), png); // upscaled by a whole factor to about 256 pixels
    }

    [Theory]
    [InlineData(new long[] { 1, 64 })]
    [InlineData(new long[] { 10 })]
    [InlineData(new long[] { 2, 3, 4, 5, 6 })]
    public void Tensor_that_is_not_image_like_falls_back_to_text(long[] shape)
    {
        using var values = ones(shape);
        var html = Html(values);
        Assert.Contains("<pre", html);
        Assert.Contains($"Tensor [{string.Join(", ", shape)}] Float32", html);
        Assert.DoesNotContain("data:image", html);
        Assert.Contains("mean 1", Text(values));
    }

    [Fact]
    public void Integer_tensor_is_not_drawn()
    {
        using var labels = ones([1, 3, 8, 8], ScalarType.Int64);
        var html = Html(labels);
        Assert.DoesNotContain("data:image", html);
        Assert.Contains("Tensor [1, 3, 8, 8] Int64", html);
    }

    [Fact]
    public void Huge_tensor_is_summarised_not_drawn()
    {
        using var huge = zeros(1, 3, 2048, 2048); // 12.6 M values > MaxDrawnElements
        var html = Html(huge);
        Assert.Contains("too large to draw: 12,582,912 values", html);
        Assert.Contains("min 0, max 0, mean 0", html);
        Assert.DoesNotContain("data:image", html);
    }

    [Fact]
    public void History_shows_the_svg_chart_and_the_last_epoch()
    {
        var history = new TrainingHistory(0, 3, 10);
        for (var e = 0; e < 3; e++)
        {
            history.Add(e, new Dictionary<string, double> { ["loss"] = 1.0 / (e + 1), ["accuracy"] = 0.5 + (0.1 * e), ["val_loss"] = 1.1 / (e + 1), ["val_accuracy"] = 0.45 + (0.1 * e) }, 0.001, TimeSpan.FromSeconds(1));
        }

        var html = Html(history);
        Assert.Contains("3 epoch(s), last epoch 3", html);
        Assert.Contains("val_accuracy: 0.6500", html);
        var svg = Assert.Single(Svgs(html));
        Assert.Contains("<polyline", svg);
        Assert.Contains("data-metric=\"accuracy\"", svg);
    }

    [Fact]
    public void Empty_history_says_so()
    {
        Assert.Contains("no epochs yet", Html(new TrainingHistory(0, 1, 1)));
    }

    [Fact]
    public void Activation_set_draws_one_labelled_grid_per_spatial_layer()
    {
        using var model = SmallModel();
        using var input = rand(1, 3, 16, 16, generator: new Generator(5));
        using var activations = IntermediateModel.From(model, [0, 1, 4]).Run(input);
        var html = Html(activations);
        Assert.Contains("get_layer(index = 1) = layer 0 'conv2d' (Conv2D), output (None, 14, 14, 4)", html);
        Assert.Contains("get_layer(index = 2) = layer 1 'max_pooling2d'", html);
        Assert.Contains("get_layer(index = 5) = layer 4 'dense'", html);
        Assert.Equal(2, Pngs(html).Count); // the dense layer's [1, 2] output is text
        Assert.Contains("Tensor [1, 2] Float32", html);
    }

    [Fact]
    public void Disposed_activation_set_shows_disposed()
    {
        using var model = SmallModel();
        using var input = rand(1, 3, 16, 16);
        var activations = IntermediateModel.From(model, 0).Run(input);
        activations.Dispose();
        Assert.Equal("(ActivationSet: disposed)", Html(activations));
    }

    [Fact]
    public void ImageSharp_images_are_embedded_whatever_their_pixel_type()
    {
        using var rgb = new Image<Rgb24>(40, 30, new Rgb24(200, 10, 10));
        using var rgba = new Image<Rgba32>(12, 7);
        Assert.Equal((40, 30), Assert.Single(Pngs(Html(rgb))));
        Assert.Equal((12, 7), Assert.Single(Pngs(Html(rgba))));
        Assert.Contains("40×30", Text(rgb));
    }

    [Fact]
    public void Wide_images_are_downscaled_before_embedding()
    {
        using var wide = new Image<Rgb24>(4000, 100);
        Assert.Equal((1600, 40), Assert.Single(Pngs(Html(wide))));
    }

    [Fact]
    public void Disposed_image_shows_disposed()
    {
        var image = new Image<Rgb24>(4, 4);
        image.Dispose();
        Assert.Equal("(Image: disposed)", Html(image));
    }

    [Fact]
    public void In_memory_dataset_shows_its_classes_and_a_strip_of_samples()
    {
        using var images = rand(10, 3, 12, 12, generator: new Generator(7));
        using var labels = tensor(new long[] { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 });
        using var data = new InMemoryDataset(images, labels, batchSize: 5, ClassMode.Sparse, classNames: ["cat", "dog"]);
        var html = Html(data);
        Assert.Contains("InMemoryDataset: 10 images, 2 classes", html);
        Assert.Contains("Classes: cat, dog", html);
        Assert.Equal(5, Pngs(html).Count); // the first batch of 5
        Assert.Contains(">dog</div>", html);
    }

    [Fact]
    public void Image_folder_dataset_shows_class_counts_and_augmented_samples()
    {
        var root = Path.Combine(Path.GetTempPath(), "convviz-interactive-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var shoes = Path.Combine(Repository(), "samples", "data", "fashion-shoes");
            foreach (var (cls, count) in new[] { ("boot", 3), ("sneaker", 2) })
            {
                Directory.CreateDirectory(Path.Combine(root, cls));
                for (var i = 1; i <= count; i++)
                {
                    File.Copy(Path.Combine(shoes, $"{cls}.{i}.png"), Path.Combine(root, cls, $"{cls}.{i}.png"));
                }
            }

            using var data = new ImageFolderDataset(new ImageFolderDatasetOptions
            {
                Directory = root,
                Preprocessing = new ImagePreprocessing { TargetHeight = 32, TargetWidth = 32, ColorMode = ColorMode.Rgb },
                Augmenter = new Augmentation.Augmenter(new Augmentation.AugmentationOptions { RotationRange = 30 }),
                BatchSize = 4,
            });
            var html = Html(data);
            Assert.Matches("<td[^>]*>boot</td><td[^>]*>0</td><td[^>]*>3</td>", html);
            Assert.Matches("<td[^>]*>sneaker</td><td[^>]*>1</td><td[^>]*>2</td>", html);
            Assert.All(Pngs(html), p => Assert.Equal((32, 32), p));
            Assert.Equal(4, Pngs(html).Count);
            Assert.Contains("boot: 3", Text(data));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Disposed_dataset_shows_disposed()
    {
        using var images = rand(4, 1, 8, 8);
        var data = new InMemoryDataset(images, null, batchSize: 2, ClassMode.None);
        data.Dispose();
        Assert.Equal("(IBatchSource: disposed)", Html(data));
    }
}
