// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Interactive;

/// <summary>
/// A picture with a title and a caption, already encoded as PNG: what <see cref="Notebook"/>'s helpers return and a
/// notebook shows under the cell. It holds no native memory, so it can stay in a variable after the tensors it came
/// from are disposed.
/// </summary>
public sealed class NotebookFigure
{
    private readonly byte[] _png;

    /// <summary>Creates a figure from an image (the image is encoded now and not kept).</summary>
    /// <param name="image">The picture; not disposed.</param>
    /// <param name="title">The title shown above it.</param>
    /// <param name="caption">A sentence shown below it, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The title is empty.</exception>
    public NotebookFigure(Image<Rgb24> image, string title, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
        Caption = caption;
        Width = image.Width;
        Height = image.Height;
        _png = Html.Png(image);
    }

    /// <summary>Gets the title shown above the picture.</summary>
    public string Title { get; }

    /// <summary>Gets the sentence shown below the picture, or <see langword="null"/>.</summary>
    public string? Caption { get; }

    /// <summary>Gets the width of the rendered picture in pixels (before any downscaling for embedding).</summary>
    public int Width { get; }

    /// <summary>Gets the height of the rendered picture in pixels (before any downscaling for embedding).</summary>
    public int Height { get; }

    /// <summary>Gets the embedded PNG (at most 1600 pixels wide).</summary>
    /// <returns>A copy of the PNG bytes.</returns>
    public byte[] GetPng() => (byte[])_png.Clone();

    /// <summary>Returns the title, the caption and the picture's size.</summary>
    /// <returns>For example <c>Grad-CAM for 'cat' (451×300 image)</c>.</returns>
    public override string ToString() =>
        $"{Title} ({Width}×{Height} image)" + (Caption is null ? string.Empty : Environment.NewLine + Caption);

    internal string ToHtml() =>
        Html.Box(Html.Heading(Title) + Html.Img(_png, Width, Height, Title, Width < 320 ? Width * 2 : Width) + (Caption is null ? string.Empty : Html.Note(Caption)), "figure");
}
