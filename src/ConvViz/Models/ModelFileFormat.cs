// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>The format <see cref="Model.Load(string, ModelLoadOptions)"/> reads (<see cref="ModelLoadOptions.Format"/>).</summary>
public enum ModelFileFormat
{
    /// <summary>Recognise the format by the file's content: HDF5's signature means Keras HDF5, a zip header a Keras 3 <c>.keras</c> archive, an ONNX <c>ModelProto</c> (or the <c>.onnx</c> extension) ONNX, anything else a ConvViz file.</summary>
    Auto = 0,

    /// <summary>A ConvViz model file written by <see cref="Model.Save(string)"/>.</summary>
    ConvViz,

    /// <summary>A Keras HDF5 full-model file (Keras 2.x or Keras 3 <c>model.save("m.h5")</c>, R keras <c>save_model_hdf5</c>).</summary>
    KerasHdf5,

    /// <summary>A Keras 3 <c>.keras</c> archive (Keras 3 <c>model.save("m.keras")</c>): a zip of <c>config.json</c>, <c>metadata.json</c> and <c>model.weights.h5</c>.</summary>
    KerasArchive,

    /// <summary>An ONNX model (IR 3 and later, default-domain opsets 7–21), as PyTorch, tf2onnx, ML.NET and Azure Custom Vision write it.</summary>
    Onnx,
}
