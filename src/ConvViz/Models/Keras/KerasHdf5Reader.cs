// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using PureHDF;

namespace ConvViz.Models.Keras;

/// <summary>One weight tensor of a Keras file, in Keras' layout (HWIO kernels, [in, out] dense kernels).</summary>
internal sealed record KerasWeight(string Name, int[] Shape, float[] Values)
{
    /// <summary>Gets the weight's short name: the last path segment without <c>:0</c> (<c>kernel</c>, <c>bias</c>, <c>gamma</c>).</summary>
    public string ShortName
    {
        get
        {
            var name = Name;
            var colon = name.LastIndexOf(':');
            if (colon > 0)
            {
                name = name[..colon];
            }

            var slash = name.LastIndexOf('/');
            return slash >= 0 ? name[(slash + 1)..] : name;
        }
    }
}

/// <summary>The weights of one layer group, in the order of its <c>weight_names</c> attribute.</summary>
internal sealed record KerasLayerWeights(string LayerName, IReadOnlyList<KerasWeight> Weights);

/// <summary>What a Keras 2.x HDF5 file holds: the architecture JSON (absent in weights-only files), the training configuration and the weights.</summary>
internal sealed record KerasHdf5Content(string? ModelConfig, string? TrainingConfig, string? KerasVersion, IReadOnlyList<KerasLayerWeights> Layers);

/// <summary>
/// Reads Keras 2.x HDF5 files (Keras 2.0–2.x, tf.keras and R keras <c>save_model_hdf5</c> / <c>save_model_weights_hdf5</c>)
/// with PureHDF, handling the quirks of real files: weight groups whose inner names differ from the layer name,
/// <c>weight_names</c> stored as an empty float64 array, fixed- and variable-length strings, <c>layer_names</c> split into
/// <c>layer_names0</c>, <c>layer_names1</c>, …, and weight names without <c>:0</c>. Every declared size is checked against
/// the file's length before anything is allocated. Nothing in the file is executed.
/// </summary>
internal static class KerasHdf5Reader
{
    /// <summary>The HDF5 signature: the first 8 bytes of an HDF5 file without a user block.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    private const int MaxLayers = 100_000;
    private const int MaxWeightsPerLayer = 10_000;

    /// <summary>Returns whether <paramref name="header"/> starts with the HDF5 signature.</summary>
    public static bool IsHdf5(ReadOnlySpan<byte> header) => header.Length >= 8 && header[..8].SequenceEqual(Signature);

    /// <summary>Reads a Keras HDF5 file from a seekable stream.</summary>
    /// <param name="stream">A seekable stream holding the whole file; not closed.</param>
    /// <param name="source">The file name used in error messages.</param>
    /// <param name="maxJsonBytes">The largest <c>model_config</c> accepted, in characters.</param>
    /// <exception cref="InvalidDataException">The file is not a Keras HDF5 file, is corrupt or exceeds a limit.</exception>
    public static KerasHdf5Content Read(Stream stream, string source, int maxJsonBytes)
    {
        var length = stream.Length - stream.Position;
        try
        {
            using var file = H5File.Open(stream, leaveOpen: true);
            var modelConfig = ReadOptionalString(file, "model_config", source, length, maxJsonBytes);
            var trainingConfig = ReadOptionalString(file, "training_config", source, length, maxJsonBytes);
            IH5Group weightsRoot = file.LinkExists("model_weights") ? file.Group("model_weights") : file;
            var version = ReadOptionalString(weightsRoot, "keras_version", source, length, 1024) ?? ReadOptionalString(file, "keras_version", source, length, 1024);
            var layerNames = ReadSplitStrings(weightsRoot, "layer_names", source, length);
            if (layerNames is null)
            {
                if (modelConfig is null)
                {
                    throw new InvalidDataException(
                        $"'{source}' is an HDF5 file but not a Keras model or weights file: it has neither a 'model_config' attribute nor a 'layer_names' list.");
                }

                layerNames = [];
            }

            if (layerNames.Length > MaxLayers)
            {
                throw new InvalidDataException($"'{source}' lists {layerNames.Length} layers; at most {MaxLayers} are accepted.");
            }

            var layers = new List<KerasLayerWeights>(layerNames.Length);
            foreach (var layerName in layerNames)
            {
                if (!weightsRoot.LinkExists(layerName))
                {
                    throw new InvalidDataException($"'{source}' lists layer '{layerName}' in 'layer_names', but has no group of that name.");
                }

                var group = weightsRoot.Group(layerName);
                var weightNames = ReadStrings(group, "weight_names", source, length) ?? [];
                if (weightNames.Length > MaxWeightsPerLayer)
                {
                    throw new InvalidDataException($"Layer '{layerName}' in '{source}' lists {weightNames.Length} weights.");
                }

                var weights = new List<KerasWeight>(weightNames.Length);
                foreach (var weightName in weightNames)
                {
                    if (!group.LinkExists(weightName))
                    {
                        throw new InvalidDataException($"Layer '{layerName}' in '{source}' lists weight '{weightName}', but the file has no such dataset.");
                    }

                    weights.Add(ReadWeight(group.Dataset(weightName), weightName, layerName, source, length));
                }

                layers.Add(new KerasLayerWeights(layerName, weights));
            }

            return new KerasHdf5Content(modelConfig, trainingConfig, version, layers);
        }
        catch (OutOfMemoryException ex)
        {
            // PureHDF 2.2.0 sizes a variable-length string's buffer from the global heap without checking it against
            // the file (found by the mutation test): a corrupt size ends here, before or instead of the allocation.
            throw new InvalidDataException($"'{source}' declares an object larger than can be allocated: the file is corrupt.", ex);
        }
        catch (Exception ex) when (ex is not (InvalidDataException or NotSupportedException))
        {
            throw new InvalidDataException($"'{source}' is not a readable Keras HDF5 file: {ex.Message}", ex);
        }
    }

    private static KerasWeight ReadWeight(IH5Dataset dataset, string weightName, string layerName, string source, long fileLength)
    {
        var dims = dataset.Space.Dimensions;
        if (dims.Length > 8)
        {
            throw new InvalidDataException($"Weight '{weightName}' of layer '{layerName}' in '{source}' has {dims.Length} dimensions.");
        }

        var type = dataset.Type;
        if (type.Class != H5DataTypeClass.FloatingPoint || type.Size is not (4 or 8))
        {
            throw new NotSupportedException(
                $"Weight '{weightName}' of layer '{layerName}' in '{source}' is stored as {type.Class} of {type.Size} bytes; ConvViz reads float32 and float64 weights.");
        }

        ulong count = 1;
        foreach (var d in dims)
        {
            if (d > int.MaxValue)
            {
                throw new InvalidDataException($"Weight '{weightName}' of layer '{layerName}' in '{source}' declares dimension {d}.");
            }

            count = checked(count * d);
        }

        if (count * (ulong)type.Size > (ulong)fileLength)
        {
            throw new InvalidDataException(
                $"Weight '{weightName}' of layer '{layerName}' in '{source}' declares {count * (ulong)type.Size} bytes ([{string.Join(", ", dims)}]), more than the file's {fileLength} bytes: the file is truncated or corrupt.");
        }

        var values = type.Size == 4
            ? dataset.Read<float[]>()
            : Array.ConvertAll(dataset.Read<double[]>(), v => (float)v);
        if ((ulong)values.Length != count)
        {
            throw new InvalidDataException($"Weight '{weightName}' of layer '{layerName}' in '{source}' holds {values.Length} values for shape [{string.Join(", ", dims)}].");
        }

        return new KerasWeight(weightName, [.. dims.Select(d => (int)d)], values);
    }

    private static string? ReadOptionalString(IH5Object owner, string name, string source, long fileLength, int maxChars)
    {
        if (!owner.AttributeExists(name))
        {
            return null;
        }

        var attribute = owner.Attribute(name);
        if (!IsString(attribute.Type))
        {
            throw new InvalidDataException($"Attribute '{name}' of '{source}' is {attribute.Type.Class}, not a string.");
        }

        if (attribute.Type.Size > fileLength)
        {
            throw new InvalidDataException($"Attribute '{name}' of '{source}' declares {attribute.Type.Size} bytes, more than the file holds.");
        }

        var value = attribute.Space.Rank == 0 ? attribute.Read<string>() : attribute.Read<string[]>() is [var only] ? only : null;
        if (value is null)
        {
            throw new InvalidDataException($"Attribute '{name}' of '{source}' is not a single string.");
        }

        if (value.Length > maxChars)
        {
            throw new InvalidDataException($"Attribute '{name}' of '{source}' holds {value.Length} characters; at most {maxChars} are accepted (ModelLoadOptions.MaxHeaderBytes).");
        }

        return value.TrimEnd('\0');
    }

    /// <summary>Reads a string-list attribute, or its parts <c>name0</c>, <c>name1</c>, … when Keras split it (lists over 64 KB).</summary>
    private static string[]? ReadSplitStrings(IH5Object owner, string name, string source, long fileLength)
    {
        if (owner.AttributeExists(name))
        {
            return ReadStrings(owner, name, source, fileLength);
        }

        List<string>? all = null;
        for (var chunk = 0; owner.AttributeExists(name + chunk.ToString(System.Globalization.CultureInfo.InvariantCulture)); chunk++)
        {
            all ??= [];
            all.AddRange(ReadStrings(owner, name + chunk.ToString(System.Globalization.CultureInfo.InvariantCulture), source, fileLength) ?? []);
            if (all.Count > MaxLayers)
            {
                throw new InvalidDataException($"'{source}' lists more than {MaxLayers} entries in '{name}'.");
            }
        }

        return all?.ToArray();
    }

    /// <summary>Reads a string-list attribute; an attribute that is not of string type (Keras' empty float64 list) is empty.</summary>
    private static string[]? ReadStrings(IH5Object owner, string name, string source, long fileLength)
    {
        if (!owner.AttributeExists(name))
        {
            return null;
        }

        var attribute = owner.Attribute(name);
        ulong count = 1;
        foreach (var d in attribute.Space.Dimensions)
        {
            count = checked(count * d);
        }

        if (!IsString(attribute.Type))
        {
            return count == 0 ? [] : throw new InvalidDataException($"Attribute '{name}' of '{source}' holds {count} values of type {attribute.Type.Class}, not strings.");
        }

        if (count * (ulong)Math.Max(1, attribute.Type.Size) > (ulong)fileLength)
        {
            throw new InvalidDataException($"Attribute '{name}' of '{source}' declares {count} strings, more than the file can hold.");
        }

        var values = attribute.Space.Rank == 0 ? [attribute.Read<string>()] : attribute.Read<string[]>();
        return [.. values.Select(v => (v ?? string.Empty).TrimEnd('\0'))];
    }

    /// <summary>Fixed-length strings (h5py 2) are class String; variable-length ones (h5py 3) are class VariableLength.</summary>
    private static bool IsString(IH5DataType type) => type.Class is H5DataTypeClass.String or H5DataTypeClass.VariableLength;
}
