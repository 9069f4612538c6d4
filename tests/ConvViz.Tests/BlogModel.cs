// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;

namespace ConvViz.Tests;

/// <summary>The model of the blog "Convolutional Neural Network under the Hood", written with ConvViz.</summary>
internal static class BlogModel
{
    public static SequentialBuilder CreateBuilder() =>
        new SequentialBuilder(150, 150, 3)
            .AddConv2D(8, 3, Activation.ReLU)
            .AddConv2D(16, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(32, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(64, 3, Activation.ReLU)
            .AddMaxPooling2D(2)
            .AddConv2D(16, 3, Activation.ReLU)
            .AddFlatten()
            .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
            .AddDense(128, Activation.ReLU).AddDense(128, Activation.ReLU).AddDropout(0.3)
            .AddDense(256, Activation.ReLU).AddDense(256, Activation.ReLU).AddDropout(0.3)
            .AddDense(64, Activation.ReLU).AddDense(64, Activation.ReLU).AddDropout(0.3)
            .AddDense(32, Activation.ReLU)
            .AddDense(2, Activation.Softmax);
}
