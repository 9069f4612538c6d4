// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

public sealed partial class Model
{
    /// <summary>
    /// Saves the model to one file: the architecture (every layer's options), the compile settings, the
    /// <see cref="Preprocessing"/>, the <see cref="ClassNames"/> and the weights (including BatchNormalization's moving
    /// statistics). The file is a safetensors container (an 8-byte little-endian header length, a JSON header, raw
    /// little-endian float32 tensors) that Python's <c>safetensors</c> can also read; tensors are named
    /// <c>layer.kernel</c>, <c>layer.bias</c>, … in TorchSharp layout ([out, in, kh, kw] for Conv2D, [out, in] for Dense).
    /// The file is written to a temporary file and then renamed, so an existing file is replaced atomically and never
    /// left half-written. The optimizer state is not saved. A SHA-256 of the metadata and weights
    /// (<c>__metadata__.content_sha256</c>) lets <see cref="Load(string)"/> detect files corrupted after saving.
    /// </summary>
    /// <param name="path">The file to write, conventionally with the <c>.safetensors</c> extension.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="InvalidOperationException">Fit runs on another thread (save from a callback instead, as <c>ModelCheckpoint</c> does).</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfTrainingOnAnotherThread("Save");
        NativeBackend.EnsureLoaded();
        ModelFile.Write(this, path);
    }

    /// <summary>Loads a model saved by <see cref="Save"/>, with the default limits of <see cref="ModelLoadOptions"/>.</summary>
    /// <param name="path">The model file.</param>
    /// <returns>The model on the CPU, in evaluation mode; the caller owns it and must dispose it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another format or version, or does not match its own architecture; the message says what is wrong.</exception>
    public static Model Load(string path) => Load(path, new ModelLoadOptions());

    /// <summary>
    /// Loads a model saved by <see cref="Save"/>. The whole file is parsed and checked in managed code first (sizes,
    /// header length, JSON, format marker and version, every layer's options, every tensor's name, dtype, shape and
    /// byte range against the rebuilt architecture, and the content checksum when the file has one); only then are
    /// native tensors allocated and filled. Nothing in the file is executed.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <param name="options">Size limits.</param>
    /// <returns>The model on the CPU, in evaluation mode; the caller owns it and must dispose it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another format or version, exceeds a limit, or does not match its own architecture; the message says what is wrong.</exception>
    public static Model Load(string path, ModelLoadOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        return ModelFile.Read(path, options);
    }
}
