// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// What every attribution method (<see cref="GradCam"/>, <see cref="GradCamPlusPlus"/>, <see cref="Saliency"/>,
/// <see cref="SmoothGrad"/>, <see cref="IntegratedGradients"/>) returns for an image or a batch: one heatmap per image
/// and the class each one explains. <see cref="IntegratedGradientsResult"/> adds the signed attributions and the
/// completeness check. The result owns <see cref="Maps"/>: dispose it (a <see langword="using"/> declaration) to free them.
/// </summary>
public class AttributionResult : IDisposable
{
    private readonly Tensor _maps;
    private bool _disposed;

    private protected AttributionResult(Tensor maps, int[] classIndices, AttributionTarget target)
    {
        _maps = maps;
        ClassIndices = classIndices;
        Target = target;
    }

    /// <summary>
    /// Gets the heatmaps [N, H, W] at the input's resolution, one per image of the input (N = 1 for a single image),
    /// in [0, 1] when <see cref="AttributionOptions.Normalize"/> is set. The result owns the tensor: do not dispose it,
    /// dispose the result. <c>Maps[i]</c> is image i's map [H, W]: a view that the caller disposes (it shares memory
    /// with <see cref="Maps"/> and stays valid after the result is disposed); <c>HeatmapOverlay.Render</c> also takes
    /// <see cref="Maps"/> of a single image ([1, H, W]) directly.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The result has been disposed.</exception>
    public Tensor Maps
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _maps;
        }
    }

    /// <summary>Gets the class each map explains, one per image, in the input's order.</summary>
    public IReadOnlyList<int> ClassIndices { get; }

    /// <summary>Gets the quantity that was differentiated (<see cref="AttributionOptions.Target"/>).</summary>
    public AttributionTarget Target { get; }

    /// <summary>Gets the number of images explained (the first dimension of <see cref="Maps"/>).</summary>
    public int Count => ClassIndices.Count;

    /// <summary>Frees the tensors the result owns; further access to them throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> when the result has been disposed.</summary>
    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Frees <see cref="Maps"/> (and, in a derived result, its other tensors).</summary>
    /// <param name="disposing"><see langword="true"/> when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (disposing)
        {
            _maps.Dispose();
        }
    }

    /// <summary>Creates the result of a method without extras; takes ownership of <paramref name="maps"/>.</summary>
    internal static AttributionResult Create(Tensor maps, int[] classIndices, AttributionTarget target) => new(maps, classIndices, target);
}
