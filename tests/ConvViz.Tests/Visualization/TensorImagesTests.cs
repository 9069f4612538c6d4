// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Tests.Visualization;

public sealed class TensorImagesTests
{
    [Fact]
    public void ToImage_ChannelsFirst_KeepsColoursAndOrientation()
    {
        using var scope = NewDisposeScope();
        var x = zeros(1, 3, 2, 3);
        x[0, 0, 0, 2] = 1f;  // red at top right
        x[0, 2, 1, 0] = 1f;  // blue at bottom left

        using var image = TensorImages.ToImage(x, 0, 1);

        Assert.Equal((3, 2), (image.Width, image.Height));
        Assert.Equal(new Rgb24(255, 0, 0), image[2, 0]);
        Assert.Equal(new Rgb24(0, 0, 255), image[0, 1]);
    }

    [Fact]
    public void ToImage_DefaultRange_StretchesAndConstantIsBlackAsKeras()
    {
        using var scope = NewDisposeScope();

        using var stretched = TensorImages.ToImage(tensor(new float[] { -2, 2 }).reshape(1, 1, 2));
        using var five = Scalars.Create(5f);
        using var constant = TensorImages.ToImage(full(1, 2, 2, five));

        Assert.Equal(0, stretched[0, 0].R);
        Assert.Equal(255, stretched[1, 0].R);
        Assert.Equal(new Rgb24(0, 0, 0), constant[1, 1]);
    }
}
