// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Text;

namespace ConvViz.Models;

/// <summary>
/// What Keras' <c>summary(model)</c> reports: one row per layer (name, type, output shape, parameters) and the
/// parameter totals. <see cref="ToString"/> renders the Keras 2.3 table (the blog's era table with its
/// <c>Model: "sequential"</c> header); nothing is printed.
/// </summary>
public sealed class ModelSummary
{
    /// <summary>The width of the Keras table.</summary>
    public const int LineLength = 65;

    private static readonly int[] s_columnEnds = [29, 55, 65];

    internal ModelSummary(IReadOnlyList<LayerInfo> layers)
    {
        Layers = layers.ToArray();
        TotalParameters = Layers.Sum(l => l.ParameterCount);
        TrainableParameters = Layers.Sum(l => l.TrainableParameterCount);
    }

    /// <summary>Gets the rows: each layer's name, kind (the Keras type), output shape and parameter count.</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>Gets the total number of parameters (Keras' <c>Total params</c>).</summary>
    public long TotalParameters { get; }

    /// <summary>Gets the number of trainable parameters (Keras' <c>Trainable params</c>).</summary>
    public long TrainableParameters { get; }

    /// <summary>Gets the number of non-trainable parameters (Keras' <c>Non-trainable params</c>, BatchNormalization's moving statistics).</summary>
    public long NonTrainableParameters => TotalParameters - TrainableParameters;

    /// <summary>
    /// Renders the table as Keras 2.3 prints it: the <c>Model: "sequential"</c> header (Keras ≥ 2.3), then 65
    /// characters wide, columns ending at 29, 55 and 65, fields cut to their column (so long types lose their closing
    /// parenthesis, as in Keras), and totals with thousands separators. Lines end with <c>\n</c>.
    /// </summary>
    /// <returns>The table, for example ending in <c>Total params: 385,090</c>, <c>Trainable params: 385,090</c>, <c>Non-trainable params: 0</c>.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        var rule = new string('_', LineLength);
        var doubleRule = new string('=', LineLength);
        text.Append("Model: \"sequential\"\n");
        text.Append(rule).Append('\n');
        AppendRow(text, "Layer (type)", "Output Shape", "Param #");
        text.Append(doubleRule).Append('\n');
        for (var i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i];
            AppendRow(text, $"{layer.Name} ({layer.TypeName})", layer.OutputShape.ToString(), layer.ParameterCount.ToString(CultureInfo.InvariantCulture));
            text.Append(i == Layers.Count - 1 ? doubleRule : rule).Append('\n');
        }

        text.Append("Total params: ").Append(Thousands(TotalParameters)).Append('\n');
        text.Append("Trainable params: ").Append(Thousands(TrainableParameters)).Append('\n');
        text.Append("Non-trainable params: ").Append(Thousands(NonTrainableParameters)).Append('\n');
        text.Append(rule).Append('\n');
        return text.ToString();
    }

    private static string Thousands(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static void AppendRow(StringBuilder text, params string[] fields)
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
            var end = s_columnEnds[i];
            if (line.Length > end)
            {
                line.Length = end;
            }

            line.Append(' ', end - line.Length);
        }

        text.Append(line).Append('\n');
    }
}
