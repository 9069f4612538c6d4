// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;

namespace ConvViz.Data;

/// <summary>An image file a dataset left out under <see cref="BadFilePolicy.Skip"/>.</summary>
/// <param name="Path">The file.</param>
/// <param name="Problem">What is wrong with it.</param>
/// <param name="Message">The full explanation.</param>
public sealed record SkippedImageFile(string Path, ImageFileProblem Problem, string Message);
