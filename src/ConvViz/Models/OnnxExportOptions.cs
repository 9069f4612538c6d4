// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>What <see cref="Model.ExportOnnx(Stream, OnnxExportOptions)"/> writes besides the network itself.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The lowest ONNX operator set the exporter writes.</summary>
    public const int MinOpset = 13;

    /// <summary>The highest ONNX operator set the exporter writes.</summary>
    public const int MaxOpset = 21;

    /// <summary>The default ONNX operator set (with IR version 8).</summary>
    public const int DefaultOpset = 17;

    private readonly string[] _extraOutputs = [];

    /// <summary>
    /// Gets the ONNX operator set version (<c>opset_import</c> of the default domain). The IR version is the lowest
    /// that the operator set allows: 8 up to opset 18, 9 for 19 and 20, 10 for 21.
    /// </summary>
    /// <value>The default value is 17.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 13–21.</exception>
    public int Opset
    {
        get;
        init
        {
            if (value is < MinOpset or > MaxOpset)
            {
                throw new ArgumentOutOfRangeException(nameof(Opset), value, $"OnnxExportOptions.Opset must be in {MinOpset}..{MaxOpset}; {DefaultOpset} (IR 8) runs on every current ONNX Runtime.");
            }

            field = value;
        }
    } = DefaultOpset;

    /// <summary>
    /// Gets a value indicating whether the model's <see cref="Model.Preprocessing"/> (rescale, sample-wise and
    /// feature-wise standardisation) is written as nodes in front of the network, so that the exported model takes raw
    /// 0–255 pixels. Resizing and colour conversion stay outside the graph: the input must already have the model's
    /// height, width and channels. Without a preprocessing on the model this is refused.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: the input is the preprocessed image, as <see cref="Model.Forward"/> takes it.</value>
    public bool IncludePreprocessing { get; init; }

    /// <summary>
    /// Gets the names of layers whose outputs become extra graph outputs after the model's output, in this order, each
    /// named after its layer: feature maps as [N, C, H, W], flat outputs as [N, features]. Each name must be a layer of
    /// the model, listed once.
    /// </summary>
    /// <value>The default value is an empty list.</value>
    /// <exception cref="ArgumentException">A name is null or empty.</exception>
    public IReadOnlyList<string> ExtraOutputs
    {
        get => _extraOutputs;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(ExtraOutputs));
            string[] names = [.. value];
            if (names.Any(string.IsNullOrWhiteSpace))
            {
                throw new ArgumentException("OnnxExportOptions.ExtraOutputs cannot contain null or empty layer names.", nameof(ExtraOutputs));
            }

            _extraOutputs = names;
        }
    }

    /// <inheritdoc/>
    public bool Equals(OnnxExportOptions? other) =>
        other is not null && Opset == other.Opset && IncludePreprocessing == other.IncludePreprocessing && _extraOutputs.AsSpan().SequenceEqual(other._extraOutputs);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Opset);
        hash.Add(IncludePreprocessing);
        foreach (var name in _extraOutputs)
        {
            hash.Add(name);
        }

        return hash.ToHashCode();
    }
}
