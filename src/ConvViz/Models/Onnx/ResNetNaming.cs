// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Onnx;

/// <summary>
/// Readable layer names for a ResNet-style ONNX graph, from its structure: the stem (<c>conv1</c>, <c>bn1</c>,
/// <c>relu1</c>, <c>pool1</c>), then <c>stage{s}_block{b}_conv{k}</c>, <c>_bn{k}</c>, <c>_relu{k}</c>,
/// <c>_shortcut_conv</c>, <c>_shortcut_bn</c>, <c>_add</c> and <c>_out</c> (the ReLU after the addition), and
/// <c>avg_pool</c>. A stage starts at each block whose convolutions stride. Keys are each node's first output; nodes
/// that do not fit the pattern keep their own names.
/// </summary>
internal static class ResNetNaming
{
    public static Dictionary<string, string> Names(GraphProto graph)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var nodes = graph.Node.Where(n => n.Output.Count > 0).ToList();
        var stemEnd = nodes.FindIndex(n => n.OpType == "MaxPool");
        if (stemEnd < 0)
        {
            return names;
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i <= stemEnd; i++)
        {
            var part = Part(nodes[i].OpType);
            if (part is not null)
            {
                counts[part] = counts.GetValueOrDefault(part) + 1;
                names[nodes[i].Output[0]] = $"{part}{counts[part]}";
            }
        }

        var blockInput = nodes[stemEnd].Output[0];
        int stage = 1, block = 0, start = stemEnd + 1;
        while (start < nodes.Count)
        {
            var add = nodes.FindIndex(start, n => n.OpType == "Add");
            if (add < 0)
            {
                break;
            }

            var end = add + 1 < nodes.Count && nodes[add + 1].OpType == "Relu" && nodes[add + 1].Input.Contains(nodes[add].Output[0]) ? add + 1 : add;
            var blockNodes = nodes.GetRange(start, end - start + 1);
            var strided = blockNodes.Any(n => n.OpType == "Conv" && n.Attribute.Any(a => a.Name == "strides" && a.Ints.Any(s => s > 1)));
            if (strided && block > 0)
            {
                stage++;
                block = 1;
            }
            else
            {
                block++;
            }

            // The shortcut convolution reads the block's input, and its normalisation feeds the addition directly.
            var addInputs = nodes[add].Input.ToHashSet(StringComparer.Ordinal);
            var shortcutConv = blockNodes.FirstOrDefault(c => c.OpType == "Conv" && c.Input.Contains(blockInput) &&
                blockNodes.Any(b => b.OpType == "BatchNormalization" && b.Input.Contains(c.Output[0]) && addInputs.Contains(b.Output[0])));
            var prefix = $"stage{stage}_block{block}";
            int conv = 0, bn = 0, relu = 0;
            foreach (var node in blockNodes)
            {
                var key = node.Output[0];
                if (node == shortcutConv)
                {
                    names[key] = $"{prefix}_shortcut_conv";
                }
                else if (shortcutConv is not null && node.OpType == "BatchNormalization" && node.Input.Contains(shortcutConv.Output[0]))
                {
                    names[key] = $"{prefix}_shortcut_bn";
                }
                else if (node == nodes[add])
                {
                    names[key] = $"{prefix}_add";
                }
                else if (node == nodes[end] && end > add)
                {
                    names[key] = $"{prefix}_out";
                }
                else
                {
                    names[key] = node.OpType switch
                    {
                        "Conv" => $"{prefix}_conv{++conv}",
                        "BatchNormalization" => $"{prefix}_bn{++bn}",
                        "Relu" => $"{prefix}_relu{++relu}",
                        _ => $"{prefix}_{node.OpType.ToLowerInvariant()}",
                    };
                }
            }

            blockInput = nodes[end].Output[0];
            start = end + 1;
        }

        for (var i = start; i < nodes.Count; i++)
        {
            if (nodes[i].OpType is "AveragePool" or "GlobalAveragePool")
            {
                names[nodes[i].Output[0]] = "avg_pool";
            }
        }

        return names;
    }

    private static string? Part(string opType) => opType switch
    {
        "Conv" => "conv",
        "BatchNormalization" => "bn",
        "Relu" => "relu",
        "MaxPool" => "pool",
        _ => null,
    };
}
