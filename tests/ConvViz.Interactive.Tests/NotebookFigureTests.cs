// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Augmentation;
using ConvViz.Imaging;
using static ConvViz.Interactive.Tests.TestHelpers;

namespace ConvViz.Interactive.Tests;

public sealed class NotebookFigureTests
{
    private static string Photo() => Path.Combine(Repository(), "samples", "data", "chelsea.png");

    [Fact]
    public void Grad_cam_and_saliency_are_drawn_on_the_photo_at_its_own_size()
    {
        using var model = SmallModel();
        var gradCam = Notebook.GradCam(model, Photo());
        var saliency = Notebook.Saliency(model, Photo(), classIndex: 1);
        using var photo = SixLabors.ImageSharp.Image.Load(Photo());
        Assert.Equal((photo.Width, photo.Height), (gradCam.Width, gradCam.Height));
        Assert.Equal((photo.Width, photo.Height), (saliency.Width, saliency.Height));
        Assert.StartsWith("Grad-CAM for 'class ", gradCam.Title, StringComparison.Ordinal);
        Assert.StartsWith("Saliency for 'class 1' (probability ", saliency.Title, StringComparison.Ordinal);
        Assert.Single(Pngs(Html(gradCam)));
    }

    [Fact]
    public void Missing_photo_names_the_file()
    {
        using var model = SmallModel();
        var e = Assert.Throws<FileNotFoundException>(() => Notebook.GradCam(model, "no-such-photo.png"));
        Assert.Contains("no-such-photo.png", e.Message);
    }

    [Fact]
    public void Filters_and_augmentation_preview_are_figures_with_captions()
    {
        using var model = SmallModel();
        var filters = Notebook.Filters(model);
        Assert.Equal("Filters of layer 0 (R index 1) 'conv2d'", filters.Title);
        var second = Notebook.Filters(model, "conv2d_1");
        Assert.Contains("One row per filter", second.Caption);

        var preprocessing = new ImagePreprocessing { TargetHeight = 40, TargetWidth = 40, ColorMode = ColorMode.Rgb };
        var preview = Notebook.AugmentationPreview(new Augmenter(new AugmentationOptions { RotationRange = 30 }), preprocessing, [Photo()], variants: 3);
        Assert.Equal(((4 * 44) - 4, 40), (preview.Width, preview.Height));
        Assert.Throws<ArgumentException>(() => Notebook.AugmentationPreview(new Augmenter(new AugmentationOptions()), preprocessing, []));
        Assert.Contains("(172×40 image)", preview.ToString());
    }

    [Fact]
    public void Report_is_framed_so_that_its_script_runs_without_same_origin_access()
    {
        using var model = SmallModel();
        var html = Html(Notebook.Report(model));

        // The explorable report draws everything from its script: a frame that blocks scripts shows an empty page.
        Assert.Contains("<iframe sandbox=\"allow-scripts\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("allow-same-origin", html, StringComparison.Ordinal);
        Assert.Contains("id=&quot;report-data&quot;", html, StringComparison.Ordinal); // the page itself is in srcdoc
    }
}
