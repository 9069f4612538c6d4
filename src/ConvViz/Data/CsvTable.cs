// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text;

namespace ConvViz.Data;

/// <summary>A small RFC 4180 reader: comma-separated fields, optional double quotes, <c>""</c> for a quote inside quotes, CRLF or LF.</summary>
internal static class CsvTable
{
    /// <summary>Reads every row of a UTF-8 CSV file (a byte-order mark is skipped).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The rows, the header first.</returns>
    /// <exception cref="InvalidDataException">A quoted field is not closed.</exception>
    public static List<List<string>> Read(string path) => Parse(File.ReadAllText(path, Encoding.UTF8), path);

    /// <summary>Parses CSV text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="InvalidDataException">A quoted field is not closed.</exception>
    public static List<List<string>> Parse(string text, string name)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    row.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n' or '\r':
                    row.Add(field.ToString());
                    field.Clear();
                    rows.Add(row);
                    row = [];
                    line++;
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }

        if (quoted)
        {
            throw new InvalidDataException($"The CSV file '{name}' ends inside a quoted field (opened on or before line {line}). Close the quote.");
        }

        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            rows.Add(row);
        }

        return rows;
    }
}
