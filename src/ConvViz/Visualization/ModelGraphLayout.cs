// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ConvViz.Models;

namespace ConvViz.Visualization;

/// <summary>
/// The drawing of a model's layer graph that both HTML report layouts show: one box per layer in topological rows,
/// the row of a layer being its depth (the longest path from the input), the boxes of a row ordered by the mean
/// column of their inputs (ties by layer index) and centred; an edge from each input to its consumer. An edge that
/// jumps over rows (a skip connection) is routed around the boxes: down into the gap below its source, right to a
/// lane beside the whole graph, down the lane, and left into the gap above its target; skip edges whose rows overlap
/// get different lanes. Everything is a function of the layer list, so the drawing is deterministic.
/// </summary>
/// <remarks>
/// A model without an <c>InputLayer</c> (a sequential model) gets a box for the input image at row 0, so that the
/// first layer has an edge like every other; its <see cref="Node.Layer"/> is <see langword="null"/>.
/// </remarks>
internal sealed class ModelGraphLayout
{
    /// <summary>The width of a layer box, in pixels.</summary>
    public const int BoxWidth = 184;

    /// <summary>The height of a layer box.</summary>
    public const int BoxHeight = 50;

    /// <summary>The horizontal gap between boxes of one row.</summary>
    public const int ColumnGap = 24;

    /// <summary>The vertical gap between rows, where edges run.</summary>
    public const int RowGap = 40;

    /// <summary>The distance between skip lanes, and from the graph to the first lane.</summary>
    public const int LaneGap = 14;

    private const int Margin = 10;
    private const int MaxLabel = 26;

    private ModelGraphLayout(IReadOnlyList<Node> nodes, IReadOnlyList<Edge> edges, int rows, int lanes, double width, double height, bool isSequential)
    {
        Nodes = nodes;
        Edges = edges;
        RowCount = rows;
        LaneCount = lanes;
        Width = width;
        Height = height;
        IsSequential = isSequential;
    }

    /// <summary>Gets the boxes: the input-image box (if any) first, then the layers in model order.</summary>
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>Gets the edges, ordered by target then by the target's input order.</summary>
    public IReadOnlyList<Edge> Edges { get; }

    /// <summary>Gets the number of rows.</summary>
    public int RowCount { get; }

    /// <summary>Gets the number of lanes the skip edges use.</summary>
    public int LaneCount { get; }

    /// <summary>Gets the width of the drawing in pixels.</summary>
    public double Width { get; }

    /// <summary>Gets the height of the drawing in pixels.</summary>
    public double Height { get; }

    /// <summary>Gets a value indicating whether the model is a chain (<see cref="Model.IsSequential"/>).</summary>
    public bool IsSequential { get; }

    /// <summary>Lays out a model's graph.</summary>
    /// <param name="model">The model.</param>
    /// <returns>The layout.</returns>
    public static ModelGraphLayout Compute(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = model.Layers;
        var nodes = new List<Node>();
        Node? image = null;
        if (layers.Any(l => l.Inputs.Count == 0 && !l.Options.IsModelInput))
        {
            image = new Node(null, "input", "Input", model.InputLayerShape.ToString(), 0);
            nodes.Add(image);
        }

        // Depth: the longest path from the input; Model.Layers is topological, so one pass suffices.
        var byIndex = new Dictionary<int, Node>();
        foreach (var layer in layers)
        {
            var row = layer.Inputs.Count == 0 ? (image is null ? 0 : 1) : layer.Inputs.Max(i => byIndex[i.Index].Row) + 1;
            var node = new Node(layer, layer.Name, layer.TypeName, layer.OutputShape.ToString(), row);
            byIndex[layer.Index] = node;
            nodes.Add(node);
        }

        var rows = nodes.Max(n => n.Row) + 1;
        var sources = nodes.ToDictionary(n => n, n => n.Layer is null ? [] : n.Layer.Inputs.Count == 0 ? (image is null ? [] : [image]) : n.Layer.Inputs.Select(i => byIndex[i.Index]).ToList());
        var widest = nodes.GroupBy(n => n.Row).Max(g => g.Count());
        var graphWidth = (widest * (BoxWidth + ColumnGap)) - ColumnGap;
        for (var r = 0; r < rows; r++)
        {
            // Order by the mean centre of the inputs (placed in earlier rows), then by model order.
            var row = nodes.Where(n => n.Row == r)
                .Select((n, order) => (Node: n, Key: sources[n].Count == 0 ? double.NegativeInfinity : sources[n].Average(s => s.X), Order: order))
                .OrderBy(t => t.Key).ThenBy(t => t.Order).Select(t => t.Node).ToList();
            var start = Margin + ((graphWidth - ((row.Count * (BoxWidth + ColumnGap)) - ColumnGap)) / 2.0);
            for (var c = 0; c < row.Count; c++)
            {
                row[c].Column = c;
                row[c].X = start + (c * (BoxWidth + ColumnGap));
                row[c].Y = Margin + (r * (BoxHeight + RowGap));
            }
        }

        // Edges, and lanes for the skip edges: the lowest lane free over the edge's rows (interval colouring in target order).
        var edges = new List<Edge>();
        var laneEnds = new List<List<(int From, int To)>>();
        foreach (var target in nodes)
        {
            foreach (var source in sources[target])
            {
                var skip = target.Row - source.Row > 1;
                var lane = -1;
                if (skip)
                {
                    lane = 0;
                    while (lane < laneEnds.Count && laneEnds[lane].Any(e => source.Row < e.To && e.From < target.Row))
                    {
                        lane++;
                    }

                    if (lane == laneEnds.Count)
                    {
                        laneEnds.Add([]);
                    }

                    laneEnds[lane].Add((source.Row, target.Row));
                }

                edges.Add(new Edge(source, target, skip, lane));
            }
        }

        var laneX = Margin + graphWidth;
        foreach (var target in nodes)
        {
            // Ports on the top edge: straight edges first (by the source's position), skip edges (coming from the right lane) last.
            var incoming = edges.Where(e => e.To == target).OrderBy(e => e.IsSkip).ThenBy(e => e.From.X).ThenBy(e => e.From.Row).ToList();
            for (var k = 0; k < incoming.Count; k++)
            {
                var e = incoming[k];
                var inX = target.X + (BoxWidth * (k + 1.0) / (incoming.Count + 1));
                var inY = target.Y;
                var from = e.From;
                if (!e.IsSkip)
                {
                    e.Path = Invariant($"M{from.X + (BoxWidth / 2.0):0.#},{from.Y + BoxHeight:0.#} L{inX:0.#},{inY:0.#}");
                    continue;
                }

                var outX = from.X + BoxWidth - 12;
                var shift = 6 * (e.Lane % 3);
                var belowY = from.Y + BoxHeight + 12 + shift;
                var aboveY = target.Y - 12 - shift;
                var x = laneX + (LaneGap * (e.Lane + 1));
                e.Path = Invariant($"M{outX:0.#},{from.Y + BoxHeight:0.#} V{belowY:0.#} H{x:0.#} V{aboveY:0.#} H{inX:0.#} V{inY:0.#}");
            }
        }

        var width = (2 * Margin) + graphWidth + (laneEnds.Count == 0 ? 0 : (LaneGap * (laneEnds.Count + 1)));
        var height = (2 * Margin) + (rows * (BoxHeight + RowGap)) - RowGap;
        return new ModelGraphLayout(nodes, edges, rows, laneEnds.Count, width, height, model.IsSequential);
    }

    /// <summary>The layout as report data: the size, and each box and edge.</summary>
    /// <returns>The JSON object (<c>width</c>, <c>height</c>, <c>rows</c>, <c>lanes</c>, <c>nodes</c>, <c>edges</c>; an edge's <c>from</c> is <see langword="null"/> for the input image).</returns>
    public JsonObject ToJson() => new()
    {
        ["width"] = Width,
        ["height"] = Height,
        ["rows"] = RowCount,
        ["lanes"] = LaneCount,
        ["sequential"] = IsSequential,
        ["nodes"] = new JsonArray([.. Nodes.Select(n => (JsonNode?)new JsonObject
        {
            ["name"] = n.Layer?.Name,
            ["row"] = n.Row,
            ["col"] = n.Column,
            ["x"] = n.X,
            ["y"] = n.Y,
        })]),
        ["edges"] = new JsonArray([.. Edges.Select(e => (JsonNode?)new JsonObject
        {
            ["from"] = e.From.Layer?.Name,
            ["to"] = e.To.Layer?.Name,
            ["skip"] = e.IsSkip,
        })]),
    };

    /// <summary>The drawing as inline SVG (no external references; styles are attributes, so it also prints).</summary>
    /// <param name="interactive">Whether the layer boxes are focusable buttons (the interactive report wires their clicks).</param>
    /// <returns>The <c>svg</c> element.</returns>
    public string ToSvg(bool interactive)
    {
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"model-graph\" width=\"{Width:0.#}\" height=\"{Height:0.#}\" viewBox=\"0 0 {Width:0.#} {Height:0.#}\" role=\"group\" aria-label=\"Layer graph: {Nodes.Count(n => n.Layer is not null)} layers in {RowCount} rows, {Edges.Count(e => e.IsSkip)} skip connections\" font-family=\"system-ui,sans-serif\">"))
            .Append("<defs><marker id=\"cv-arrow\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#667788\"/></marker>")
            .Append("<marker id=\"cv-arrow-skip\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#d2691e\"/></marker></defs>");
        foreach (var e in Edges)
        {
            var (style, marker) = e.IsSkip
                ? ("stroke=\"#d2691e\" stroke-width=\"1.8\" stroke-dasharray=\"6 3\"", "cv-arrow-skip")
                : ("stroke=\"#667788\" stroke-width=\"1.4\"", "cv-arrow");
            svg.Append("<path class=\"edge").Append(e.IsSkip ? " skip" : string.Empty).Append("\" data-from=\"").Append(Encode(e.From.Layer?.Name ?? string.Empty))
                .Append("\" data-to=\"").Append(Encode(e.To.Layer?.Name ?? string.Empty)).Append("\" d=\"").Append(e.Path).Append("\" fill=\"none\" ")
                .Append(style).Append(" stroke-linejoin=\"round\" marker-end=\"url(#").Append(marker).Append(")\"><title>")
                .Append(Encode($"{e.From.Name} → {e.To.Name}{(e.IsSkip ? " (skip connection)" : string.Empty)}")).Append("</title></path>");
        }

        foreach (var n in Nodes)
        {
            var merge = n.Layer?.Inputs.Count > 1;
            var fill = n.Layer is null || n.Layer.Options.IsModelInput ? "#eef2fb" : merge ? "#fdf3e1" : "#ffffff";
            var inputs = n.Layer is null ? "the model's input image" : n.Layer.Inputs.Count == 0 ? "input image" : string.Join(", ", n.Layer.Inputs.Select(i => i.Name));
            var label = n.Layer is null ? $"input image {n.Shape}" : $"layer {n.Layer.Index}: {n.Name} ({n.TypeName}) {n.Shape}, inputs: {inputs}";
            svg.Append("<g class=\"node").Append(n.Layer is null ? " model-input" : string.Empty).Append('"');
            if (n.Layer is not null)
            {
                svg.Append(" data-layer=\"").Append(Encode(n.Name)).Append('"');
            }

            if (interactive && n.Layer is not null)
            {
                svg.Append(" aria-label=\"").Append(Encode(label)).Append('"');
            }

            svg.Append(Invariant($" transform=\"translate({n.X:0.#},{n.Y:0.#})\"><title>")).Append(Encode(label)).Append("</title>")
                .Append(Invariant($"<rect width=\"{BoxWidth}\" height=\"{BoxHeight}\" rx=\"5\" fill=\"{fill}\" stroke=\"#8899aa\" stroke-width=\"1.2\"/>"))
                .Append("<text x=\"8\" y=\"16\" font-size=\"12\" font-weight=\"bold\" fill=\"#222\">").Append(Encode(Cut(n.Name))).Append("</text>")
                .Append("<text x=\"8\" y=\"30\" font-size=\"11\" fill=\"#556\">").Append(Encode(Cut(n.TypeName))).Append("</text>")
                .Append("<text x=\"8\" y=\"43\" font-size=\"11\" fill=\"#333\">").Append(Encode(Cut(n.Shape))).Append("</text></g>");
        }

        return svg.Append("</svg>").ToString();
    }

    private static string Cut(string text) => text.Length <= MaxLabel ? text : text[..(MaxLabel - 1)] + "…";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One box: a layer, or the input image of a model without an input layer.</summary>
    internal sealed class Node(LayerInfo? layer, string name, string typeName, string shape, int row)
    {
        /// <summary>Gets the layer; <see langword="null"/> for the input image.</summary>
        public LayerInfo? Layer { get; } = layer;

        /// <summary>Gets the name shown.</summary>
        public string Name { get; } = name;

        /// <summary>Gets the type shown.</summary>
        public string TypeName { get; } = typeName;

        /// <summary>Gets the output shape shown.</summary>
        public string Shape { get; } = shape;

        /// <summary>Gets the row: the longest path from the input.</summary>
        public int Row { get; } = row;

        /// <summary>Gets the position within the row, from the left.</summary>
        public int Column { get; internal set; }

        /// <summary>Gets the left edge of the box.</summary>
        public double X { get; internal set; }

        /// <summary>Gets the top edge of the box.</summary>
        public double Y { get; internal set; }
    }

    /// <summary>An edge from an input to its consumer.</summary>
    internal sealed class Edge(Node from, Node to, bool isSkip, int lane)
    {
        /// <summary>Gets the box whose output is read.</summary>
        public Node From { get; } = from;

        /// <summary>Gets the box that reads it.</summary>
        public Node To { get; } = to;

        /// <summary>Gets a value indicating whether the edge jumps over at least one row (a skip connection).</summary>
        public bool IsSkip { get; } = isSkip;

        /// <summary>Gets the lane of a skip edge (0 is nearest the graph); -1 for a straight edge.</summary>
        public int Lane { get; } = lane;

        /// <summary>Gets the SVG path data.</summary>
        public string Path { get; internal set; } = string.Empty;
    }
}
