// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using PureHDF;

namespace ConvViz.Models.Keras;

/// <summary>One weight tensor of a Keras file, in Keras' layout (HWIO kernels, [in, out] dense kernels).</summary>
/// <remarks><see cref="Role"/> names a Keras 3 variable, which the file stores by position only (<c>vars/0</c>), from the layer's known variable order.</remarks>
internal sealed record KerasWeight(string Name, int[] Shape, float[] Values, string? Role = null)
{
    /// <summary>Gets the weight's short name: its <see cref="Role"/>, or the last path segment without <c>:0</c> (<c>kernel</c>, <c>bias</c>, <c>gamma</c>).</summary>
    public string ShortName
    {
        get
        {
            if (Role is not null)
            {
                return Role;
            }

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

/// <summary>The variables of a Keras 3 weights file (<c>model.weights.h5</c>, <c>save_weights("x.weights.h5")</c>) by layer group path (<c>layers/conv2d</c>), each in the file's order (<c>vars/0</c>, <c>vars/1</c>, …).</summary>
internal sealed record Keras3Weights(IReadOnlyDictionary<string, IReadOnlyList<KerasWeight>> ByPath);

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
    private const int MaxGroupDepth = 16;

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
                if (modelConfig is null && file.LinkExists("layers") && !file.LinkExists("model_weights"))
                {
                    throw new InvalidDataException(
                        $"'{source}' is a Keras 3 weights-only file (model.save_weights(\"x.weights.h5\")): it has no architecture. Build the model in ConvViz and call model.LoadWeights(path).");
                }

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

    /// <summary>
    /// Returns whether a seekable HDF5 stream holds Keras 3's weights layout (a root group <c>layers</c>, no Keras 2
    /// <c>layer_names</c> or <c>model_weights</c>); the position is restored.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream is not a readable HDF5 file.</exception>
    public static bool IsKeras3Weights(Stream stream, string source)
    {
        var start = stream.Position;
        try
        {
            using var file = H5File.Open(stream, leaveOpen: true);
            return file.LinkExists("layers") && !file.LinkExists("model_weights") && !file.AttributeExists("layer_names") && !file.AttributeExists("layer_names0");
        }
        catch (OutOfMemoryException ex)
        {
            throw new InvalidDataException($"'{source}' declares an object larger than can be allocated: the file is corrupt.", ex);
        }
        catch (Exception ex) when (ex is not (InvalidDataException or NotSupportedException))
        {
            throw new InvalidDataException($"'{source}' is not a readable HDF5 file: {ex.Message}", ex);
        }
        finally
        {
            stream.Position = start;
        }
    }

    /// <summary>
    /// Reads a Keras 3 weights file: every group under <c>layers</c> (and under a nested model's
    /// <c>layers/&lt;model&gt;/layers</c>) with its datasets <c>vars/0</c>, <c>vars/1</c>, … Other groups (the
    /// optimizer's variables, a Dropout's seed generator, assets) are not read.
    /// </summary>
    /// <param name="stream">A seekable stream holding the whole file; not closed.</param>
    /// <param name="source">The file name used in error messages.</param>
    /// <exception cref="InvalidDataException">The file has no <c>layers</c> group, is corrupt or exceeds a limit.</exception>
    /// <exception cref="NotSupportedException">A variable is stored in a type other than float32 or float64.</exception>
    public static Keras3Weights ReadKeras3Weights(Stream stream, string source)
    {
        var length = stream.Length - stream.Position;
        try
        {
            using var file = H5File.Open(stream, leaveOpen: true);
            if (!file.LinkExists("layers"))
            {
                throw new InvalidDataException($"'{source}' is an HDF5 file but not a Keras 3 weights file: it has no 'layers' group.");
            }

            var byPath = new Dictionary<string, IReadOnlyList<KerasWeight>>(StringComparer.Ordinal);
            ReadLayerGroups(file.Group("layers"), "layers", 0, byPath, source, length);
            return new Keras3Weights(byPath);
        }
        catch (OutOfMemoryException ex)
        {
            throw new InvalidDataException($"'{source}' declares an object larger than can be allocated: the file is corrupt.", ex);
        }
        catch (Exception ex) when (ex is not (InvalidDataException or NotSupportedException))
        {
            throw new InvalidDataException($"'{source}' is not a readable Keras 3 weights file: {ex.Message}", ex);
        }
    }

    private static void ReadLayerGroups(IH5Group layers, string path, int depth, Dictionary<string, IReadOnlyList<KerasWeight>> byPath, string source, long fileLength)
    {
        if (depth > MaxGroupDepth)
        {
            throw new InvalidDataException($"'{source}' nests layer groups deeper than {MaxGroupDepth} ('{KerasModelConfig.Truncate(path)}').");
        }

        foreach (var child in layers.Children())
        {
            if (child is not IH5Group group)
            {
                continue;
            }

            if (byPath.Count >= MaxLayers)
            {
                throw new InvalidDataException($"'{source}' holds more than {MaxLayers} layer groups.");
            }

            var childPath = $"{path}/{child.Name}";
            var weights = new List<KerasWeight>();
            if (group.LinkExists("vars"))
            {
                var vars = group.Group("vars");
                for (var i = 0; vars.LinkExists(i.ToString(System.Globalization.CultureInfo.InvariantCulture)); i++)
                {
                    if (i >= MaxWeightsPerLayer)
                    {
                        throw new InvalidDataException($"Layer group '{KerasModelConfig.Truncate(childPath)}' in '{source}' holds more than {MaxWeightsPerLayer} variables.");
                    }

                    var name = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    weights.Add(ReadWeight(vars.Dataset(name), $"vars/{name}", KerasModelConfig.Truncate(childPath), source, fileLength) with { Name = $"{childPath}/vars/{name}" });
                }
            }

            byPath[childPath] = weights;
            if (group.LinkExists("layers"))
            {
                ReadLayerGroups(group.Group("layers"), childPath + "/layers", depth + 1, byPath, source, fileLength);
            }
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
