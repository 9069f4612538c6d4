// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>The patterns found by <see cref="ActivationMaximization"/>, one per filter. Owns <see cref="Images"/>.</summary>
public sealed class ActivationMaximizationResult : IDisposable
{
    private readonly Tensor _images;
    private bool _disposed;

    internal ActivationMaximizationResult(string layerName, int[] filters, Tensor images, double[] initial, double[] final, int steps)
    {
        LayerName = layerName;
        Filters = filters;
        _images = images;
        InitialActivations = initial;
        FinalActivations = final;
        StepsRun = steps;
    }

    /// <summary>Gets the name of the layer whose filters were maximised.</summary>
    public string LayerName { get; }

    /// <summary>Gets the filter (channel) indices, in the order of <see cref="Images"/>.</summary>
    public IReadOnlyList<int> Filters { get; }

    /// <summary>Gets the optimised inputs [F, C, H, W] in the model's input space; the result owns the tensor.</summary>
    /// <exception cref="ObjectDisposedException">The result has been disposed.</exception>
    public Tensor Images
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _images;
        }
    }

    /// <summary>Gets each filter's mean activation on the starting noise.</summary>
    public IReadOnlyList<double> InitialActivations { get; }

    /// <summary>Gets each filter's mean activation on its optimised input.</summary>
    public IReadOnlyList<double> FinalActivations { get; }

    /// <summary>Gets the number of ascent steps actually run (fewer than requested if the time limit or cancellation stopped it).</summary>
    public int StepsRun { get; }

    /// <summary>Frees <see cref="Images"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _images.Dispose();
    }
}
