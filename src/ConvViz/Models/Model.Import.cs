// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Keras;
using ConvViz.Models.Onnx;

namespace ConvViz.Models;

public sealed partial class Model
{
    /// <summary>
    /// Loads weights from a Keras HDF5 file (Keras <c>save_weights("w.h5")</c>, R keras <c>save_model_weights_hdf5</c>, or
    /// the weights of a full-model file) onto this model, which must have the same architecture. Weights are matched by
    /// the order of the layers that have weights, as Keras' <c>load_weights</c> does, and converted from Keras' layouts
    /// (HWIO convolution kernels, [in, out] dense kernels).
    /// </summary>
    /// <param name="path">The Keras HDF5 file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a Keras HDF5 file, is corrupt, or its weights do not fit this model (the message names the layer and both shapes).</exception>
    /// <exception cref="NotSupportedException">The file stores weights in a type other than float32 or float64.</exception>
    public void LoadWeights(string path) => LoadWeights(path, byName: false);

    /// <summary>
    /// Loads weights from a Keras HDF5 file like <see cref="LoadWeights(string)"/>, matching them by layer name when
    /// <paramref name="byName"/> is <see langword="true"/> (Keras' <c>load_weights(by_name = TRUE)</c>; every layer with
    /// weights must have a group of its name in the file).
    /// </summary>
    /// <param name="path">The Keras HDF5 file.</param>
    /// <param name="byName">Whether to match by layer name instead of by order.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a Keras HDF5 file, is corrupt, or its weights do not fit this model (the message names the layer and both shapes).</exception>
    /// <exception cref="NotSupportedException">The file stores weights in a type other than float32 or float64.</exception>
    public void LoadWeights(string path, bool byName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfTrainingOnAnotherThread("LoadWeights");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var header = new byte[8];
        if (stream.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8 || !KerasHdf5Reader.IsHdf5(header))
        {
            throw new InvalidDataException($"'{path}' is not a Keras HDF5 weights file: it does not start with the HDF5 signature.");
        }

        stream.Position = 0;
        var content = KerasHdf5Reader.Read(stream, path, new ModelLoadOptions().MaxHeaderBytes);
        KerasImporter.LoadWeights(this, content, path, byName);
    }

    private static Model ReadAnyFormat(string path, ModelLoadOptions options)
    {
        var format = options.Format;
        if (format == ModelFileFormat.Auto && File.Exists(path))
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            format = IsHdf5(probe) ? ModelFileFormat.KerasHdf5
                : IsOnnx(probe) || path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? ModelFileFormat.Onnx
                : ModelFileFormat.ConvViz;
        }

        if (format == ModelFileFormat.Onnx)
        {
            return ApplyLoadOptions(ReadOnnx(path, options), options);
        }

        if (format != ModelFileFormat.KerasHdf5)
        {
            return ApplyLoadOptions(ModelFile.Read(path, options), options);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        CheckSize(stream.Length, path, options);
        NativeBackend.EnsureLoaded();
        return ApplyLoadOptions(KerasImporter.Load(stream, path, options), options);
    }

    private static Model ReadAnyFormat(Stream stream, ModelLoadOptions options)
    {
        if (options.Format == ModelFileFormat.ConvViz)
        {
            return ApplyLoadOptions(ModelFile.Read(stream, options), options);
        }

        var seekable = stream;
        MemoryStream? copy = null;
        try
        {
            if (!stream.CanSeek)
            {
                copy = new MemoryStream();
                var buffer = new byte[81920];
                int read;
                while ((read = stream.Read(buffer)) > 0)
                {
                    if (copy.Length + read > options.MaxFileSizeBytes)
                    {
                        throw new InvalidDataException($"The model stream is longer than ModelLoadOptions.MaxFileSizeBytes ({options.MaxFileSizeBytes} bytes).");
                    }

                    copy.Write(buffer, 0, read);
                }

                copy.Position = 0;
                seekable = copy;
            }

            if (options.Format == ModelFileFormat.Onnx || (options.Format == ModelFileFormat.Auto && IsOnnx(seekable)))
            {
                CheckSize(seekable.Length - seekable.Position, "the model stream", options);
                var bytes = new byte[seekable.Length - seekable.Position];
                seekable.ReadExactly(bytes);
                NativeBackend.EnsureLoaded();
                return ApplyLoadOptions(OnnxImporter.Load(bytes, "the model stream", directory: null), options);
            }

            if (options.Format == ModelFileFormat.KerasHdf5 || IsHdf5(seekable))
            {
                CheckSize(seekable.Length - seekable.Position, "the model stream", options);
                return ApplyLoadOptions(KerasImporter.Load(seekable, "the model stream", options), options);
            }

            return ApplyLoadOptions(ModelFile.Read(seekable, options), options);
        }
        finally
        {
            copy?.Dispose();
        }
    }

    private static bool IsHdf5(Stream seekable)
    {
        var start = seekable.Position;
        Span<byte> header = stackalloc byte[8];
        var read = seekable.ReadAtLeast(header, 8, throwOnEndOfStream: false);
        seekable.Position = start;
        return read == 8 && KerasHdf5Reader.IsHdf5(header);
    }

    private static Model ReadOnnx(string path, ModelLoadOptions options)
    {
        var full = Path.GetFullPath(path);
        byte[] bytes;
        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            CheckSize(stream.Length, path, options);
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }

        NativeBackend.EnsureLoaded();
        return OnnxImporter.Load(bytes, path, Path.GetDirectoryName(full));
    }

    private static bool IsOnnx(Stream seekable)
    {
        var start = seekable.Position;
        Span<byte> header = stackalloc byte[9];
        var read = seekable.ReadAtLeast(header, 9, throwOnEndOfStream: false);
        seekable.Position = start;
        return read == 9 && OnnxImporter.LooksLikeOnnx(header);
    }

    private static void CheckSize(long length, string source, ModelLoadOptions options)
    {
        if (length > options.MaxFileSizeBytes)
        {
            throw new InvalidDataException($"'{source}' is {length} bytes, more than ModelLoadOptions.MaxFileSizeBytes ({options.MaxFileSizeBytes}).");
        }
    }

    private static Model ApplyLoadOptions(Model model, ModelLoadOptions options)
    {
        try
        {
            if (options.Preprocessing is { } preprocessing)
            {
                model.Preprocessing = preprocessing;
            }

            if (options.ClassNames is { } classNames)
            {
                model.ClassNames = classNames;
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }
}
