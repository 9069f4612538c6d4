// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text;
using ConvViz.Models.Layers;

namespace ConvViz.Models;

/// <summary>
/// What Keras' <c>summary(model)</c> reports: one row per layer (name, type, output shape, parameters; for a
/// functional model also the layers it is connected to) and the parameter totals. <see cref="ToString"/> renders the
/// Keras 2.3 table (the blog's era table with its <c>Model: "sequential"</c> header, or the functional table with
/// its "Connected to" column); nothing is printed.
/// </summary>
public sealed class ModelSummary
{
    /// <summary>The width of the Keras table.</summary>
    public const int LineLength = 65;

    /// <summary>The width of Keras' functional table (with the "Connected to" column).</summary>
    public const int FunctionalLineLength = 98;

    private static readonly int[] s_columnEnds = [29, 55, 65];

    // Keras: positions [.33, .55, .67, 1] of 98 characters.
    private static readonly int[] s_functionalColumnEnds = [32, 53, 65, 98];

    internal ModelSummary(LayerShape inputShape, IReadOnlyList<LayerInfo> layers, bool isSequential)
    {
        InputShape = inputShape;
        Layers = layers.ToArray();
        IsSequential = isSequential;
        TotalParameters = Layers.Sum(l => l.ParameterCount);
        TrainableParameters = Layers.Sum(l => l.TrainableParameterCount);
    }

    /// <summary>
    /// Gets the model's input shape without the batch axis, <c>(None, 150, 150, 3)</c> for images or <c>(None, 784)</c>
    /// for vectors. As in Keras, a sequential model's table does not show it (its first row is the first layer's output);
    /// a functional model's first row is the input layer, with this shape.
    /// </summary>
    public LayerShape InputShape { get; }

    /// <summary>Gets the rows: each layer's name, kind (the Keras type), output shape and parameter count.</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>Gets a value indicating whether the model is sequential (a chain); otherwise the table has Keras' "Connected to" column.</summary>
    public bool IsSequential { get; }

    /// <summary>Gets the total number of parameters (Keras' <c>Total params</c>).</summary>
    public long TotalParameters { get; }

    /// <summary>Gets the number of trainable parameters (Keras' <c>Trainable params</c>), without those of frozen layers (<see cref="LayerInfo.Trainable"/>), when the summary was made.</summary>
    public long TrainableParameters { get; }

    /// <summary>Gets the number of non-trainable parameters (Keras' <c>Non-trainable params</c>: BatchNormalization's moving statistics and every weight of a frozen layer).</summary>
    public long NonTrainableParameters => TotalParameters - TrainableParameters;

    /// <summary>
    /// Renders the table as Keras 2.3 prints it: for a sequential model the <c>Model: "sequential"</c> header (Keras ≥
    /// 2.3), then 65 characters wide, columns ending at 29, 55 and 65; for a functional model the <c>Model: "model"</c>
    /// header, 98 characters wide, columns ending at 32, 53, 65 and 98, the last one "Connected to" (each input as
    /// <c>name[0][0]</c>, further inputs on their own lines). Fields are cut to their column (so long types lose their
    /// closing parenthesis, as in Keras), and totals have thousands separators. Lines end with <c>\n</c>.
    /// </summary>
    /// <returns>The table, for example ending in <c>Total params: 385,090</c>, <c>Trainable params: 385,090</c>, <c>Non-trainable params: 0</c>.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        var width = IsSequential ? LineLength : FunctionalLineLength;
        var columns = IsSequential ? s_columnEnds : s_functionalColumnEnds;
        var rule = new string('_', width);
        var doubleRule = new string('=', width);
        text.Append(IsSequential ? "Model: \"sequential\"\n" : "Model: \"model\"\n");
        text.Append(rule).Append('\n');
        AppendRow(text, columns, IsSequential ? ["Layer (type)", "Output Shape", "Param #"] : ["Layer (type)", "Output Shape", "Param #", "Connected to"]);
        text.Append(doubleRule).Append('\n');
        for (var i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i];
            string[] fields = [$"{layer.Name} ({layer.TypeName})", layer.OutputShape.ToString(), layer.ParameterCount.ToString(CultureInfo.InvariantCulture)];
            if (IsSequential)
            {
                AppendRow(text, columns, fields);
            }
            else
            {
                var connections = layer.Inputs.Select(input => $"{input.Name}[0][0]").ToArray();
                AppendRow(text, columns, [.. fields, connections.FirstOrDefault() ?? string.Empty]);
                foreach (var connection in connections.Skip(1))
                {
                    AppendRow(text, columns, [string.Empty, string.Empty, string.Empty, connection]);
                }
            }

            text.Append(i == Layers.Count - 1 ? doubleRule : rule).Append('\n');
        }

        text.Append("Total params: ").Append(Thousands(TotalParameters)).Append('\n');
        text.Append("Trainable params: ").Append(Thousands(TrainableParameters)).Append('\n');
        text.Append("Non-trainable params: ").Append(Thousands(NonTrainableParameters)).Append('\n');
        text.Append(rule).Append('\n');
        return text.ToString();
    }

    private static string Thousands(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static void AppendRow(StringBuilder text, int[] columnEnds, string[] fields)
    {
        // Keras: each field starts one character before the previous column's end (that character becomes a space),
        // then the line is cut to and padded to the column end.
        var line = new StringBuilder();
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                line.Length--;
                line.Append(' ');
            }

            line.Append(fields[i]);
            var end = columnEnds[i];
            if (line.Length > end)
            {
                line.Length = end;
            }

            line.Append(' ', end - line.Length);
        }

        text.Append(line).Append('\n');
    }
}
