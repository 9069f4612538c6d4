// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Onnx;

namespace ConvViz.Models;

public sealed partial class Model
{
    /// <summary>
    /// Writes the model as an ONNX file that ONNX Runtime, ML.NET's <c>ApplyOnnxModel</c>, onnxruntime-web or Triton
    /// can serve (IR 8, opset 17 by default). The graph has one input, <c>input</c>: float32 [batch, channels, height,
    /// width] with a dynamic batch size, preprocessed as for <see cref="Forward"/>; its first output, <c>output</c>, is the
    /// model's output ([batch, units], or [batch, C, H, W] for a model that ends in a feature map). Training-only layers
    /// (Dropout) leave the graph; Flatten keeps Keras' channels-last order. The <c>metadata_props</c> carry the class
    /// names, the input shape, the preprocessing and the ConvViz version. The file is written to a temporary file and
    /// renamed, so an existing file is replaced atomically.
    /// </summary>
    /// <param name="path">The file to write, conventionally with the <c>.onnx</c> extension.</param>
    /// <returns>The full path of the written file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or an extra output names no layer (the message lists the layers).</exception>
    /// <exception cref="NotSupportedException">A layer cannot be exported (the message names the layer and the reason).</exception>
    /// <exception cref="InvalidOperationException">Preprocessing nodes were requested but <see cref="Preprocessing"/> is not set, or Fit runs on another thread.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public string ExportOnnx(string path) => ExportOnnx(path, new OnnxExportOptions());

    /// <summary>
    /// Writes the model as an ONNX file like <see cref="ExportOnnx(string)"/>, with the chosen opset, preprocessing
    /// nodes and extra outputs.
    /// </summary>
    /// <param name="path">The file to write, conventionally with the <c>.onnx</c> extension.</param>
    /// <param name="options">The opset, the preprocessing nodes and extra outputs.</param>
    /// <returns>The full path of the written file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or an extra output names no layer (the message lists the layers).</exception>
    /// <exception cref="NotSupportedException">A layer cannot be exported (the message names the layer and the reason).</exception>
    /// <exception cref="InvalidOperationException">Preprocessing nodes were requested but <see cref="Preprocessing"/> is not set, or Fit runs on another thread.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public string ExportOnnx(string path, OnnxExportOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        var model = BuildOnnx(options);
        return AtomicFile.Write(path, stream => OnnxExporter.Write(model, stream));
    }

    /// <summary>
    /// Writes the model as ONNX to a stream, like <see cref="ExportOnnx(string, OnnxExportOptions)"/>. The stream is
    /// written from its current position and left open.
    /// </summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="options">The opset, the preprocessing nodes and extra outputs (<c>new OnnxExportOptions()</c> for the defaults).</param>
    /// <exception cref="ArgumentException">The stream is not writable, or an extra output names no layer.</exception>
    /// <exception cref="NotSupportedException">A layer cannot be exported (the message names the layer and the reason).</exception>
    /// <exception cref="InvalidOperationException">Preprocessing nodes were requested but <see cref="Preprocessing"/> is not set, or Fit runs on another thread.</exception>
    public void ExportOnnx(Stream stream, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        OnnxExporter.Write(BuildOnnx(options), stream);
    }

    private ModelProto BuildOnnx(OnnxExportOptions options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfTrainingOnAnotherThread("ExportOnnx");
        return OnnxExporter.Build(this, options);
    }
}
