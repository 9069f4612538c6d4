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
    /// left half-written. The training state (optimizer moments, step count) is not saved: use
    /// <see cref="Save(string, ModelSaveOptions)"/> with <see cref="ModelSaveOptions.IncludeTrainingState"/> to resume training exactly. A SHA-256 of the metadata and weights
    /// (<c>__metadata__.content_sha256</c>) lets <see cref="Load(string)"/> detect files corrupted after saving.
    /// </summary>
    /// <param name="path">The file to write, conventionally with the <c>.safetensors</c> extension.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="InvalidOperationException">Fit runs on another thread (save from a callback instead, as <c>ModelCheckpoint</c> does).</exception>
    public void Save(string path) => Save(path, new ModelSaveOptions());

    /// <summary>
    /// Saves the model to one file like <see cref="Save(string)"/>, with the training state when
    /// <see cref="ModelSaveOptions.IncludeTrainingState"/> is set (the optimizer's moments are stored as extra
    /// float32 tensors <c>optimizer/&lt;slot&gt;/&lt;layer.tensor&gt;</c>, its kind, step count and learning rate in
    /// <c>__metadata__.training_state</c>).
    /// </summary>
    /// <param name="path">The file to write, conventionally with the <c>.safetensors</c> extension.</param>
    /// <param name="options">What to include.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="InvalidOperationException">Fit runs on another thread (save from a callback instead, as <c>ModelCheckpoint</c> does).</exception>
    public void Save(string path, ModelSaveOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfTrainingOnAnotherThread("Save");
        NativeBackend.EnsureLoaded();
        ModelFile.Write(this, path, options);
    }

    /// <summary>Writes the model file of <see cref="Save(string)"/> (without training state) to a stream; see <see cref="Save(Stream, ModelSaveOptions)"/>.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    /// <exception cref="InvalidOperationException">Fit runs on another thread.</exception>
    public void Save(Stream stream) => Save(stream, new ModelSaveOptions());

    /// <summary>
    /// Writes the model file of <see cref="Save(string, ModelSaveOptions)"/> to a stream, from its current position
    /// (a non-seekable stream such as a network or compression stream is fine). Nothing is written if gathering the
    /// tensors fails; a failure while writing leaves a partial file in the stream, so write to a temporary target.
    /// The stream is flushed, not closed.
    /// </summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="options">What to include.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    /// <exception cref="InvalidOperationException">Fit runs on another thread.</exception>
    public void Save(Stream stream, ModelSaveOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        if (!stream.CanWrite)
        {
            throw new ArgumentException($"The stream ({stream.GetType().Name}) is not writable; pass a stream opened for writing, such as File.Create(path) or a MemoryStream.", nameof(stream));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfTrainingOnAnotherThread("Save");
        NativeBackend.EnsureLoaded();
        ModelFile.Write(this, stream, options);
    }

    /// <summary>Loads a model written by <see cref="Save(Stream, ModelSaveOptions)"/> or from a model file's bytes, with the default limits.</summary>
    /// <param name="stream">A readable stream positioned at the start of the model; it is read to its end and not closed.</param>
    /// <returns>The model on the CPU, in evaluation mode; the caller owns it and must dispose it.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not readable.</exception>
    /// <exception cref="InvalidDataException">The data is truncated, corrupt, of another format or version, exceeds a limit, or does not match its own architecture.</exception>
    public static Model Load(Stream stream) => Load(stream, new ModelLoadOptions());

    /// <summary>
    /// Loads a model from a stream with the same checks as <see cref="Load(string, ModelLoadOptions)"/>. The model must
    /// fill the rest of the stream. A seekable stream is read in place (its remaining length is checked against
    /// <see cref="ModelLoadOptions.MaxFileSizeBytes"/> first); a non-seekable one (network, decompression) is copied to
    /// memory first, refusing more than <see cref="ModelLoadOptions.MaxFileSizeBytes"/> bytes.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the start of the model; it is read to its end and not closed.</param>
    /// <param name="options">Size limits.</param>
    /// <returns>The model on the CPU, in evaluation mode; the caller owns it and must dispose it.</returns>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not readable.</exception>
    /// <exception cref="InvalidDataException">The data is truncated, corrupt, of another format or version, exceeds a limit, or does not match its own architecture.</exception>
    public static Model Load(Stream stream, ModelLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        if (!stream.CanRead)
        {
            throw new ArgumentException($"The stream ({stream.GetType().Name}) is not readable; pass a stream opened for reading, such as File.OpenRead(path) or a MemoryStream.", nameof(stream));
        }

        NativeBackend.EnsureLoaded();
        return ReadAnyFormat(stream, options);
    }

    /// <summary>Loads a model saved by <see cref="Save(string, ModelSaveOptions)"/>, with the default limits of <see cref="ModelLoadOptions"/>.</summary>
    /// <param name="path">The model file.</param>
    /// <returns>The model on the CPU, in evaluation mode; the caller owns it and must dispose it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another format or version, or does not match its own architecture; the message says what is wrong.</exception>
    public static Model Load(string path) => Load(path, new ModelLoadOptions());

    /// <summary>
    /// Loads a model saved by <see cref="Save(string, ModelSaveOptions)"/>. The whole file is parsed and checked in managed code first (sizes,
    /// header length, JSON, format marker and version, every layer's options, every tensor's name, dtype, shape and
    /// byte range against the rebuilt architecture, and the content checksum when the file has one); only then are
    /// native tensors allocated and filled. Nothing in the file is executed.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <param name="options">Size limits.</param>
    /// <returns>The model on the CPU, in evaluation mode, with its training state when the file has one (then <c>Fit</c>
    /// with <c>InitialEpoch</c> continues exactly); the caller owns it and must dispose it.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another format or version, exceeds a limit, or does not match its own architecture; the message says what is wrong.</exception>
    public static Model Load(string path, ModelLoadOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        return ReadAnyFormat(path, options);
    }
}
