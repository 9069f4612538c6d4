// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Microsoft.DotNet.Interactive;

namespace ConvViz.Interactive;

/// <summary>
/// The .NET Interactive extension of the package: after <c>#r "nuget: ConvViz.Interactive"</c> the kernel finds this
/// type in the package's <c>interactive-extensions/dotnet</c> folder and calls <see cref="OnLoadAsync"/>, which
/// registers <see cref="NotebookFormatters"/>.
/// </summary>
public sealed class ConvVizKernelExtension : IKernelExtension
{
    /// <summary>Registers the formatters and says so under the cell.</summary>
    /// <param name="kernel">The kernel that loaded the package.</param>
    /// <returns>A completed task.</returns>
    public Task OnLoadAsync(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        NotebookFormatters.Register();
        if (KernelInvocationContext.Current is { } context)
        {
            context.DisplayAs(
                "ConvViz.Interactive: models, histories, feature maps, Grad-CAM overlays, images and datasets now show themselves; " +
                "pass `new LiveTrainingDisplay()` as `FitOptions.Progress` for a live chart.",
                "text/markdown");
        }

        return Task.CompletedTask;
    }
}
