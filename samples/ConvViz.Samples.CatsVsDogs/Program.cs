// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Models;
using static TorchSharp.torch;

// The blog "Convolutional Neural Network under the Hood", in C#.
// Walking skeleton: builds the blog's model and shows the shape of layer 6's activation (R numbering).
using var model = new SequentialBuilder(150, 150, 3)
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

Console.WriteLine($"Total params: {model.ParameterCount:N0}");
using var scope = NewDisposeScope();
var image = rand(1, 3, 150, 150);
var activation = IntermediateModel.From(model, layerIndex: 5).Predict(image); // R: get_layer(model, index = 6)
Console.WriteLine($"Layer 6 (R) = index 5 ({model.Layers[5].Name}) activation: [{string.Join(", ", activation.shape)}]");
