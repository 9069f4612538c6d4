// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Visualization;

/// <summary>One input image of an <see cref="HtmlReport"/>; the report does not take ownership of the tensor or the photo.</summary>
/// <param name="Name">The name shown on the image's button, for example "cat" or "dog (misclassified)".</param>
/// <param name="Input">The preprocessed input [1, C, H, W].</param>
/// <param name="Photo">The photo shown under the overlays (any size; overlays are stretched to it); if <see langword="null"/>, the input drawn stretched to its own range.</param>
public sealed record HtmlReportImage(string Name, Tensor Input, Image<Rgb24>? Photo = null);
