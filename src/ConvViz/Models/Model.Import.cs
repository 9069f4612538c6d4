// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Keras;
using ConvViz.Models.Onnx;

namespace ConvViz.Models;

public sealed partial class Model
{
    /// <summary>
    /// Loads weights from a Keras file (Keras 2 <c>save_weights("w.h5")</c>, R keras <c>save_model_weights_hdf5</c>, the
    /// weights of a full-model <c>.h5</c>, Keras 3 <c>save_weights("w.weights.h5")</c>, or the weights of a Keras 3
    /// <c>.keras</c> archive) onto this model, which must have the same architecture. Weights are matched by the order of
    /// the layers that have weights, as Keras' <c>load_weights</c> does (for a Keras 3 <c>.weights.h5</c>, which names its
    /// groups after the layers' classes, by each layer's class and position among the layers of that class, as Keras 3
    /// does), and converted from Keras' layouts (HWIO convolution kernels, [in, out] dense kernels).
    /// </summary>
    /// <param name="path">The Keras HDF5 or .keras file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a Keras weights file, is corrupt, or its weights do not fit this model (the message names the layer and both shapes).</exception>
    /// <exception cref="NotSupportedException">The file stores weights in a type other than float32 or float64.</exception>
    public void LoadWeights(string path) => LoadWeights(path, byName: false);

    /// <summary>
    /// Loads weights from a Keras file like <see cref="LoadWeights(string)"/>, matching them by layer name when
    /// <paramref name="byName"/> is <see langword="true"/> (Keras' <c>load_weights(by_name = TRUE)</c>; every layer with
    /// weights must have a group of its name in the file; for a <c>.keras</c> archive, a layer of its name in
    /// <c>config.json</c>; a Keras 3 <c>.weights.h5</c> names its groups after the layers' classes, conv2d, conv2d_1, …).
    /// </summary>
    /// <param name="path">The Keras HDF5 or .keras file.</param>
    /// <param name="byName">Whether to match by layer name instead of by order.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a Keras weights file, is corrupt, or its weights do not fit this model (the message names the layer and both shapes).</exception>
    /// <exception cref="NotSupportedException">The file stores weights in a type other than float32 or float64.</exception>
    public void LoadWeights(string path, bool byName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfTrainingOnAnotherThread("LoadWeights");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        KerasImporter.LoadWeightsFile(this, stream, path, byName, new ModelLoadOptions());
    }

    private static Model ReadAnyFormat(string path, ModelLoadOptions options)
    {
        var format = options.Format;
        if (format == ModelFileFormat.Auto && File.Exists(path))
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            format = IsHdf5(probe) ? ModelFileFormat.KerasHdf5
                : IsKerasArchive(probe) ? ModelFileFormat.KerasArchive
                : IsOnnx(probe) || path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? ModelFileFormat.Onnx
                : ModelFileFormat.ConvViz;
        }

        if (format == ModelFileFormat.Onnx)
        {
            return ApplyLoadOptions(ReadOnnx(path, options), options);
        }

        if (format is not (ModelFileFormat.KerasHdf5 or ModelFileFormat.KerasArchive))
        {
            return ApplyLoadOptions(ModelFile.Read(path, options), options);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        CheckSize(stream.Length, path, options);
        NativeBackend.EnsureLoaded();
        return ApplyLoadOptions(format == ModelFileFormat.KerasArchive ? KerasImporter.LoadArchive(stream, path, options) : KerasImporter.Load(stream, path, options), options);
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

            if (options.Format == ModelFileFormat.KerasArchive || IsKerasArchive(seekable))
            {
                CheckSize(seekable.Length - seekable.Position, "the model stream", options);
                return ApplyLoadOptions(KerasImporter.LoadArchive(seekable, "the model stream", options), options);
            }

            return ApplyLoadOptions(ModelFile.Read(seekable, options), options);
        }
        finally
        {
            copy?.Dispose();
        }
    }

    private delegate bool HeaderTest(ReadOnlySpan<byte> header);

    /// <summary>Whether the stream's next <paramref name="length"/> bytes pass <paramref name="test"/>; the position is restored.</summary>
    private static bool Probe(Stream seekable, int length, HeaderTest test)
    {
        var start = seekable.Position;
        Span<byte> header = stackalloc byte[length];
        var read = seekable.ReadAtLeast(header, length, throwOnEndOfStream: false);
        seekable.Position = start;
        return read == length && test(header);
    }

    private static bool IsHdf5(Stream seekable) => Probe(seekable, 8, KerasHdf5Reader.IsHdf5);

    private static Model ReadOnnx(string path, ModelLoadOptions options)
    {
        var full = Path.GetFullPath(path);
        ModelProto proto;
        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16))
        {
            CheckSize(stream.Length, path, options);
            proto = OnnxImporter.Parse(stream, path);
        }

        NativeBackend.EnsureLoaded();
        return OnnxImporter.Load(proto, path, Path.GetDirectoryName(full));
    }

    private static bool IsOnnx(Stream seekable) => Probe(seekable, 9, OnnxImporter.LooksLikeOnnx);

    private static bool IsKerasArchive(Stream seekable) => Probe(seekable, 4, KerasArchive.IsZip);

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
