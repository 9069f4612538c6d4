// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Visualization;

/// <summary>An attribution method shown by the interactive <see cref="HtmlReport"/>.</summary>
public enum HtmlReportAttribution
{
    /// <summary>Grad-CAM on the last convolution layer (or <see cref="HtmlReportOptions.GradCamLayer"/>).</summary>
    GradCam = 0,

    /// <summary>Grad-CAM++ on the same layer.</summary>
    GradCamPlusPlus,

    /// <summary>Saliency: |d score / d pixel|, the maximum over colour channels.</summary>
    Saliency,

    /// <summary>SmoothGrad with its default options (seeded).</summary>
    SmoothGrad,

    /// <summary>Integrated Gradients from a zero baseline with its default step count.</summary>
    IntegratedGradients,
}
