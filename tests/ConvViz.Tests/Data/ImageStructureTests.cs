// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;

namespace ConvViz.Tests.Data;

public sealed class ImageStructureTests
{
    [Fact]
    public void IsCompleteJpeg_WholeFile_True_EveryTruncation_False()
    {
        using var image = TestImages.Coordinates(16, 16);
        var bytes = TestImages.JpegBytes(image);

        Assert.True(ImageStructure.IsCompleteJpeg(bytes));
        for (var length = 0; length < bytes.Length - 1; length += 7)
        {
            Assert.False(ImageStructure.IsCompleteJpeg(bytes.AsSpan(0, length)), $"length {length} of {bytes.Length}");
        }
    }

    [Fact]
    public void IsCompletePng_WholeFile_True_EveryTruncation_False()
    {
        using var image = TestImages.Coordinates(16, 16);
        var bytes = TestImages.PngBytes(image);

        Assert.True(ImageStructure.IsCompletePng(bytes));
        for (var length = 0; length < bytes.Length; length += 5)
        {
            Assert.False(ImageStructure.IsCompletePng(bytes.AsSpan(0, length)), $"length {length} of {bytes.Length}");
        }
    }
}
