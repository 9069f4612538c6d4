// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;

namespace ConvViz.Benchmarks;

/// <summary>The model and settings of the blog "Convolutional Neural Network under the Hood" (same as tests/ConvViz.Tests/BlogModel.cs).</summary>
internal static class Blog
{
    public const int Size = 150;
    public const int BatchSize = 50;
    public const int Classes = 2;

    /// <summary>The layer whose activations the blog plots (R's <c>get_layer(model, index = 6)</c>).</summary>
    public const int ActivationLayer = 5;

    public static Model CreateModel() =>
        new SequentialBuilder(Size, Size, 3)
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
            .AddDense(2, Activation.Softmax)
            .Build();
}
