// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;

namespace ConvViz.Benchmarks;

/// <summary>The model and settings of the blog "Convolutional Neural Network under the Hood" (the model itself comes from tests/ConvViz.Tests/BlogModel.cs).</summary>
internal static class Blog
{
    public const int Size = 150;
    public const int BatchSize = 50;
    public const int Classes = 2;

    /// <summary>The layer whose activations the blog plots (R's <c>get_layer(model, index = 6)</c>).</summary>
    public const int ActivationLayer = 5;

    /// <summary>Builds the blog's model, written once in tests/ConvViz.Tests/BlogModel.cs (linked into this project).</summary>
    public static Model CreateModel() => ConvViz.Tests.BlogModel.CreateBuilder().Build();
}
