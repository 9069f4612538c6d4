// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;

namespace ConvViz.Tests.Models;

public sealed class ModelSummaryTests
{
    [Fact]
    public void ToString_BlogModel_MatchesKeras23Table()
    {
        using var model = BlogModel.CreateBuilder().Build();
        var expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ReferenceOutput", "ModelSummaryTests", "BlogModel.txt"));

        var text = model.Summary().ToString();

        Assert.Equal(expected, text);
    }

    [Fact]
    public void ToString_StartsWithKeras23ModelHeader()
    {
        using var model = new SequentialBuilder(8, 8, 1).AddFlatten().AddDense(2, Activation.Softmax).Build();

        var lines = model.Summary().ToString().Split('\n');

        // Keras >= 2.3 prints the model name above the table; a Sequential model is named "sequential".
        Assert.Equal("Model: \"sequential\"", lines[0]);
        Assert.Equal(new string('_', ModelSummary.LineLength), lines[1]);
    }

    [Fact]
    public void Summary_BlogModel_ReportsKerasTotals()
    {
        using var model = BlogModel.CreateBuilder().Build();

        var summary = model.Summary();

        Assert.Equal(385_090, summary.TotalParameters);
        Assert.Equal(385_090, summary.TrainableParameters);
        Assert.Equal(0, summary.NonTrainableParameters);
        Assert.Equal(23, summary.Layers.Count);
        Assert.Equal("max_pooling2d_1", summary.Layers[4].Name);
        Assert.Equal("MaxPooling2D", summary.Layers[4].TypeName);
        Assert.Equal("(None, 35, 35, 32)", summary.Layers[4].OutputShape.ToString());
        Assert.Contains("Total params: 385,090\n", summary.ToString());
    }

    [Fact]
    public void Summary_BatchNormalization_CountsMovingStatisticsAsNonTrainable()
    {
        using var model = new SequentialBuilder(8, 8, 3)
            .AddConv2D(32, 3)
            .AddBatchNormalization()
            .Build();

        var summary = model.Summary();
        var lines = summary.ToString().Split('\n');

        Assert.Equal(896 + 128, summary.TotalParameters);
        Assert.Equal(896 + 64, summary.TrainableParameters);
        Assert.Equal(64, summary.NonTrainableParameters);
        Assert.Equal("batch_normalization (BatchNo (None, 6, 6, 32)          128       ", lines[6]); // after the Model: header, the rules and the first row
        Assert.Contains("Total params: 1,024", lines);
        Assert.Contains("Trainable params: 960", lines);
        Assert.Contains("Non-trainable params: 64", lines);
        Assert.All(lines.Take(lines.Length - 1), l => Assert.True(l.Length <= ModelSummary.LineLength));
    }
}
