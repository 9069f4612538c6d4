// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>The predicted class of one sample.</summary>
/// <param name="ClassIndex">The class index: the argmax of the output, or for a single sigmoid unit 1 when the output exceeds 0.5, else 0 (as Keras' <c>predict_classes</c>).</param>
/// <param name="ClassName">The class name from <see cref="Model.ClassNames"/>, or <see langword="null"/> when the model has none.</param>
/// <param name="Probability">The model's probability for that class (for a single sigmoid unit p or 1 − p).</param>
public readonly record struct ClassPrediction(int ClassIndex, string? ClassName, float Probability);
