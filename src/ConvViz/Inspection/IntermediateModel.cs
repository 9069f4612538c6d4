// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Imaging;
using ConvViz.Models;
using ConvViz.Models.Layers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace ConvViz.Inspection;

/// <summary>
/// The outputs of one or more layers of a <see cref="Model"/>, like Keras'
/// <c>keras_model(inputs = model$input, outputs = get_layer(model, index = 6)$output)</c>.
/// Only the layers up to the deepest requested one are computed, in one forward pass, in evaluation mode (no dropout)
/// and without gradients; the model's training state is restored afterwards. Shares the model's weights; owns nothing.
/// </summary>
/// <example>
/// The blog's last section:
/// <code>
/// var layer6 = IntermediateModel.From(model, layerIndex: 5);         // R: get_layer(model, index = 6)
/// using var activation = layer6.Predict(input);                      // [1, 64, 33, 33]
/// FeatureMapGrid.Save(activation, "layer6.png");
/// </code>
/// </example>
public sealed class IntermediateModel
{
    private readonly Model _model;
    private readonly LayerInfo[] _layers;

    private IntermediateModel(Model model, IEnumerable<LayerInfo> layers)
    {
        _model = model;
        _layers = [.. layers.DistinctBy(l => l.Index).OrderBy(l => l.Index)];
        if (_layers.Length == 0)
        {
            throw new ArgumentException("Request at least one layer.", nameof(layers));
        }
    }

    /// <summary>
    /// Gets the deepest requested layer: with one requested layer, the one whose output <see cref="Predict(Tensor)"/> returns.
    /// </summary>
    public LayerInfo Layer => _layers[^1];

    /// <summary>Gets the requested layers, ordered by index.</summary>
    public IReadOnlyList<LayerInfo> Layers => _layers;

    /// <summary>
    /// Creates an intermediate model ending at a layer given by its 0-based index (Python Keras order).
    /// R's 1-based <c>get_layer(model, index = 6)</c> is <c>layerIndex: 5</c>. Negative values count from the end (−1 is the last layer).
    /// </summary>
    /// <param name="model">The model; it must outlive the intermediate model.</param>
    /// <param name="layerIndex">The 0-based layer index, or a negative index from the end.</param>
    /// <returns>The intermediate model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No layer has that index; the message lists the valid range.</exception>
    public static IntermediateModel From(Model model, int layerIndex)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new IntermediateModel(model, [LayerRunner.Resolve(model, layerIndex, nameof(layerIndex))]);
    }

    /// <summary>Creates an intermediate model ending at the layer with the given Keras name (<c>conv2d_3</c>).</summary>
    /// <param name="model">The model; it must outlive the intermediate model.</param>
    /// <param name="layerName">The layer name (ordinal comparison).</param>
    /// <returns>The intermediate model.</returns>
    /// <exception cref="ArgumentException">No layer has that name; the message lists the layers.</exception>
    public static IntermediateModel From(Model model, string layerName)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new IntermediateModel(model, [LayerRunner.Resolve(model, layerName, nameof(layerName))]);
    }

    /// <summary>Creates an intermediate model that returns several layers from one forward pass (see <see cref="Run(Tensor)"/>).</summary>
    /// <param name="model">The model; it must outlive the intermediate model.</param>
    /// <param name="layerNames">One or more layer names; duplicates are ignored.</param>
    /// <returns>The intermediate model.</returns>
    /// <exception cref="ArgumentException">A name is unknown, or the list is empty.</exception>
    public static IntermediateModel From(Model model, IEnumerable<string> layerNames)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layerNames);
        return new IntermediateModel(model, layerNames.Select(n => LayerRunner.Resolve(model, n, nameof(layerNames))).ToList());
    }

    /// <summary>Creates an intermediate model that returns several layers, given by 0-based (or negative) indices, from one forward pass.</summary>
    /// <param name="model">The model; it must outlive the intermediate model.</param>
    /// <param name="layerIndices">One or more indices; duplicates are ignored.</param>
    /// <returns>The intermediate model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    public static IntermediateModel From(Model model, IEnumerable<int> layerIndices)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layerIndices);
        return new IntermediateModel(model, layerIndices.Select(i => LayerRunner.Resolve(model, i, nameof(layerIndices))).ToList());
    }

    /// <summary>
    /// Creates an intermediate model that returns every layer producing feature maps (convolution and pooling layers):
    /// every layer with spatial output except those that act only in training (<see cref="LayerOptions.IsTrainingOnly"/>,
    /// such as Dropout, whose maps are its input's). Both HTML report layouts draw the same layers.
    /// </summary>
    /// <param name="model">The model; it must outlive the intermediate model.</param>
    /// <returns>The intermediate model.</returns>
    /// <exception cref="ArgumentException">The model has no such layer.</exception>
    /// <exception cref="InvalidOperationException">The model takes vectors, so it has no feature maps.</exception>
    public static IntermediateModel FromFeatureMapLayers(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfTakesVectors("IntermediateModel.FromFeatureMapLayers");
        var spatial = model.Layers.Where(IsFeatureMapLayer).ToList();
        if (spatial.Count == 0)
        {
            throw new ArgumentException("The model has no layer that outputs feature maps.", nameof(model));
        }

        return new IntermediateModel(model, spatial);
    }

    /// <summary>Whether a layer's output is feature maps worth drawing: spatial, from a layer that acts at inference (not <see cref="LayerOptions.IsTrainingOnly"/>).</summary>
    internal static bool IsFeatureMapLayer(LayerInfo layer) => layer.OutputShape.IsSpatial && !layer.Options.IsTrainingOnly;

    /// <summary>
    /// Computes the requested layer's activations for a batch, in evaluation mode and without gradients. For an
    /// intermediate model of several layers use <see cref="Run(Tensor)"/>, which returns all of them.
    /// </summary>
    /// <param name="input">A float32 batch [N, C, H, W] matching the model's input shape (or [N, features] for a model that takes vectors, see <see cref="Model.InputLayerShape"/>), already preprocessed; not disposed.</param>
    /// <returns>The activations [N, C, H, W] (or [N, F] for flat layers). The caller owns the tensor and must dispose it.</returns>
    /// <exception cref="ArgumentException">The input's shape does not match the model.</exception>
    /// <exception cref="InvalidOperationException">The intermediate model has several layers; the message names them and <see cref="Run(Tensor)"/>.</exception>
    public Tensor Predict(Tensor input)
    {
        EnsureSingleLayer();
        NativeBackend.EnsureLoaded();
        _model.ValidateInput(input);
        using var mode = _model.BeginInference("IntermediateModel");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return LayerRunner.Run(_model, input, Layer.Index).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Computes the requested layer's activations for one image, prepared with <paramref name="preprocessing"/>
    /// (resize with its interpolation, colour conversion, rescaling, standardisation) so the activations mean what
    /// they meant in training. For several layers use <see cref="Run(Image{Rgb24}, ImagePreprocessing)"/>.
    /// </summary>
    /// <param name="image">An RGB image of any size; not disposed.</param>
    /// <param name="preprocessing">The preprocessing used in training (<see cref="Model.GetImagePreprocessing"/>).</param>
    /// <returns>The activations [1, C, H, W] or [1, F]; the caller owns the tensor.</returns>
    /// <exception cref="ArgumentException">The preprocessing does not produce the model's input shape.</exception>
    /// <exception cref="InvalidOperationException">The intermediate model has several layers; the message names them and <see cref="Run(Tensor)"/>.</exception>
    public Tensor Predict(Image<Rgb24> image, ImagePreprocessing preprocessing)
    {
        EnsureSingleLayer();
        using var input = ToModelInput(image, preprocessing);
        return Predict(input);
    }

    /// <summary>
    /// Computes the requested layer's activations for one image file, prepared with the model's training-time
    /// preprocessing (<see cref="Model.GetImagePreprocessing"/>), like the blog's <c>image_load</c> + <c>predict</c>.
    /// For several layers use <see cref="Run(string)"/>.
    /// </summary>
    /// <param name="imagePath">An image file in one of the default formats (JPEG, PNG, BMP, binary netpbm).</param>
    /// <returns>The activations [1, C, H, W] or [1, F]; the caller owns the tensor.</returns>
    /// <exception cref="InvalidImageFileException">The file cannot be loaded.</exception>
    /// <exception cref="InvalidOperationException">The intermediate model has several layers; the message names them and <see cref="Run(Tensor)"/>.</exception>
    public Tensor Predict(string imagePath)
    {
        EnsureSingleLayer();
        using var input = _model.LoadImage(imagePath);
        return Predict(input);
    }

    /// <summary>Computes every requested layer's activations in one forward pass (evaluation mode, no gradients).</summary>
    /// <param name="input">A float32 batch [N, C, H, W] matching the model's input shape (or [N, features] for a model that takes vectors, see <see cref="Model.InputLayerShape"/>), already preprocessed; not disposed.</param>
    /// <returns>The activations keyed by layer name. The caller owns the set and must dispose it, which frees the tensors.</returns>
    /// <exception cref="ArgumentException">The input's shape does not match the model.</exception>
    public ActivationSet Run(Tensor input)
    {
        NativeBackend.EnsureLoaded();
        _model.ValidateInput(input);
        using var mode = _model.BeginInference("IntermediateModel");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var captured = _model.Run(input, _layers.Select(l => l.Index).ToArray());
        foreach (var t in captured)
        {
            t.MoveToOuterDisposeScope();
        }

        return new ActivationSet(_layers, captured, _model.Layers.Count);
    }

    /// <summary>Computes every requested layer's activations for one image prepared with <paramref name="preprocessing"/>.</summary>
    /// <param name="image">An RGB image of any size; not disposed.</param>
    /// <param name="preprocessing">The preprocessing used in training (<see cref="Model.GetImagePreprocessing"/>).</param>
    /// <returns>The activations keyed by layer name; the caller owns the set.</returns>
    /// <exception cref="ArgumentException">The preprocessing does not produce the model's input shape.</exception>
    public ActivationSet Run(Image<Rgb24> image, ImagePreprocessing preprocessing)
    {
        using var input = ToModelInput(image, preprocessing);
        return Run(input);
    }

    /// <summary>Computes every requested layer's activations for one image file, with the model's training-time preprocessing.</summary>
    /// <param name="imagePath">An image file in one of the default formats (JPEG, PNG, BMP, binary netpbm).</param>
    /// <returns>The activations keyed by layer name; the caller owns the set.</returns>
    /// <exception cref="InvalidImageFileException">The file cannot be loaded.</exception>
    public ActivationSet Run(string imagePath)
    {
        using var input = _model.LoadImage(imagePath);
        return Run(input);
    }

    private void EnsureSingleLayer()
    {
        if (_layers.Length > 1)
        {
            throw new InvalidOperationException(
                $"This intermediate model has {_layers.Length} layers ({string.Join(", ", _layers.Select(l => $"{l.Name} (index {l.Index})"))}), " +
                "but Predict returns one tensor. Call Run(...) instead: it returns all of them from one forward pass as an ActivationSet " +
                "(set[\"name\"] or set.GetByIndex(index)). For one layer, create IntermediateModel.From(model, layerIndex).");
        }
    }

    private Tensor ToModelInput(Image<Rgb24> image, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(preprocessing);
        _model.ThrowIfTakesVectors("IntermediateModel with an image");
        NativeBackend.EnsureLoaded();
        if (preprocessing.OutputShape != _model.InputShape)
        {
            throw new ArgumentException(
                $"The preprocessing produces images of shape {preprocessing.OutputShape} but the model expects {_model.InputShape}; " +
                "use the model's own (model.GetImagePreprocessing()) or the training dataset's.",
                nameof(preprocessing));
        }

        return ImageLoader.FromImage(image, preprocessing);
    }
}
