// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace ConvViz.Training;

/// <summary>
/// Keras' checkpoint file names: <c>weights.{epoch:02d}-{val_loss:.2f}.h5</c> is formatted as Python's
/// <c>str.format(epoch = epoch + 1, **logs)</c>. The supported format specs are Python's <c>[0][width][.precision][type]</c>
/// with type <c>d</c> (the epoch only), <c>f</c>, <c>e</c> or none; <c>{{</c> and <c>}}</c> are literal braces.
/// Numbers are formatted as Python does (round half to even on the exact binary value, <c>repr</c> for a plain float),
/// independent of the current culture.
/// </summary>
internal sealed partial class CheckpointPath
{
    private const string EpochField = "epoch";
    private readonly List<Segment> _segments = [];

    private CheckpointPath(string template)
    {
        Template = template;
    }

    /// <summary>Gets the path as given.</summary>
    public string Template { get; }

    /// <summary>Gets the field names, in order of appearance.</summary>
    public IEnumerable<string> Fields => _segments.Where(s => s.Field is not null).Select(s => s.Field!);

    /// <summary>Parses a path template.</summary>
    /// <exception cref="ArgumentException">A brace is unmatched, a field is empty or uses a conversion, or a format spec is not supported.</exception>
    public static CheckpointPath Parse(string template, string paramName)
    {
        var path = new CheckpointPath(template);
        var literal = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '}')
            {
                if (i + 1 < template.Length && template[i + 1] == '}')
                {
                    literal.Append('}');
                    i++;
                    continue;
                }

                throw new ArgumentException($"The checkpoint path '{template}' has a single '}}' at position {i}; write '}}}}' for a literal brace.", paramName);
            }

            if (c != '{')
            {
                literal.Append(c);
                continue;
            }

            if (i + 1 < template.Length && template[i + 1] == '{')
            {
                literal.Append('{');
                i++;
                continue;
            }

            var end = template.IndexOf('}', i + 1);
            if (end < 0)
            {
                throw new ArgumentException($"The checkpoint path '{template}' has a '{{' at position {i} without a closing '}}'; write '{{{{' for a literal brace.", paramName);
            }

            var field = template[(i + 1)..end];
            var colon = field.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? field : field[..colon];
            var spec = colon < 0 ? string.Empty : field[(colon + 1)..];
            if (name.Length == 0 || name.AsSpan().IndexOfAny("{!") >= 0)
            {
                throw new ArgumentException(
                    $"The checkpoint path '{template}' has the field '{{{field}}}': a field is a name, such as {{epoch}} or {{val_loss}}, optionally with a format spec ({{epoch:02d}}, {{val_loss:.2f}}).",
                    paramName);
            }

            path._segments.Add(new Segment(literal.ToString(), null, null));
            literal.Clear();
            path._segments.Add(new Segment(string.Empty, name, ParseSpec(template, name, spec, paramName)));
            i = end;
        }

        path._segments.Add(new Segment(literal.ToString(), null, null));
        return path;
    }

    /// <summary>Formats the path for a 1-based epoch and that epoch's logs.</summary>
    /// <exception cref="InvalidOperationException">A field is neither <c>epoch</c> nor a logged value; the message lists the names there are.</exception>
    public string Format(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        var text = new StringBuilder();
        foreach (var segment in _segments)
        {
            text.Append(segment.Literal);
            if (segment.Field is not { } field)
            {
                continue;
            }

            if (field == EpochField)
            {
                text.Append(segment.Spec!.Format(epoch));
            }
            else if (logs.TryGetValue(field, out var value))
            {
                text.Append(segment.Spec!.Format(value));
            }
            else
            {
                var available = new[] { EpochField }.Concat(logs.Keys);
                throw new InvalidOperationException(
                    $"The checkpoint path '{Template}' has the field {{{field}}}, but epoch {epoch} logged no value of that name. " +
                    $"Available: {string.Join(", ", available)}." +
                    (field.StartsWith("val_", StringComparison.Ordinal) ? " Validation values (val_…) are logged only when Fit has validation data." : string.Empty));
            }
        }

        return text.ToString();
    }

    private static FormatSpec ParseSpec(string template, string name, string spec, string paramName)
    {
        var match = SpecPattern().Match(spec);
        if (!match.Success)
        {
            throw new ArgumentException(
                $"The checkpoint path '{template}' formats {{{name}}} with '{spec}', which is not supported. " +
                "Use Python's [0][width][.precision][type] with type d (the epoch), f, e or none, such as {epoch:02d}, {val_loss:.2f}, {loss:.3e}.",
                paramName);
        }

        var type = match.Groups["type"].Value;
        var precision = match.Groups["precision"].Success ? int.Parse(match.Groups["precision"].Value, CultureInfo.InvariantCulture) : (int?)null;
        if (type == "d" && precision is not null)
        {
            throw new ArgumentException($"The checkpoint path '{template}' formats {{{name}}} with '{spec}': an integer (d) takes no precision; write {{{name}:02d}}.", paramName);
        }

        if (type == "d" && name != EpochField)
        {
            throw new ArgumentException(
                $"The checkpoint path '{template}' formats {{{name}}} with '{spec}', an integer format, but logged values are floats (Python refuses it too); use {{{name}:.2f}} or {{{name}:.4f}}.",
                paramName);
        }

        if (precision > 100)
        {
            throw new ArgumentException($"The checkpoint path '{template}' asks for {precision} digits in {{{name}}}; at most 100 are supported.", paramName);
        }

        var width = match.Groups["width"].Success ? int.Parse(match.Groups["width"].Value, CultureInfo.InvariantCulture) : 0;
        if (width > 100)
        {
            throw new ArgumentException($"The checkpoint path '{template}' pads {{{name}}} to {width} characters; at most 100 are supported.", paramName);
        }

        return new FormatSpec(match.Groups["zero"].Success, width, precision, type);
    }

    [GeneratedRegex(@"^(?<zero>0)?(?<width>[1-9][0-9]{0,3})?(?:\.(?<precision>[0-9]{1,4}))?(?<type>[dfe]?)$", RegexOptions.CultureInvariant)]
    private static partial Regex SpecPattern();

    private sealed record Segment(string Literal, string? Field, FormatSpec? Spec);

    private sealed record FormatSpec(bool ZeroPad, int Width, int? Precision, string Type)
    {
        public string Format(int value) => Type switch
        {
            "f" or "e" => Format((double)value),
            _ => Pad(value < 0 ? "-" : string.Empty, Math.Abs((long)value).ToString(CultureInfo.InvariantCulture)),
        };

        public string Format(double value)
        {
            var sign = double.IsNegative(value) && !double.IsNaN(value) ? "-" : string.Empty;
            var magnitude = Math.Abs(value);
            string digits;
            if (double.IsNaN(value))
            {
                digits = "nan";
            }
            else if (double.IsInfinity(value))
            {
                digits = "inf";
            }
            else
            {
                digits = Type switch
                {
                    "f" => PythonFloat.Fixed(magnitude, Precision ?? 6),
                    "e" => PythonFloat.Exponent(magnitude, Precision ?? 6),
                    _ => PythonFloat.Repr(magnitude),
                };
            }

            return Pad(sign, digits);
        }

        private string Pad(string sign, string digits) => ZeroPad
            ? sign + digits.PadLeft(Math.Max(0, Width - sign.Length), '0')
            : (sign + digits).PadLeft(Width);
    }

    /// <summary>Python's float formatting of a finite, non-negative value, exactly (round half to even on the binary value).</summary>
    internal static class PythonFloat
    {
        /// <summary><c>format(value, '.{precision}f')</c>.</summary>
        public static string Fixed(double value, int precision)
        {
            var (numerator, denominator) = Exact(value);
            var scaled = RoundHalfEven(numerator * BigInteger.Pow(10, precision), denominator);
            var text = scaled.ToString(CultureInfo.InvariantCulture).PadLeft(precision + 1, '0');
            return precision == 0 ? text : text[..^precision] + "." + text[^precision..];
        }

        /// <summary><c>format(value, '.{precision}e')</c>.</summary>
        public static string Exponent(double value, int precision)
        {
            if (value == 0)
            {
                return (precision == 0 ? "0" : "0." + new string('0', precision)) + "e+00";
            }

            var (numerator, denominator) = Exact(value);
            var exponent = (int)Math.Floor(Math.Log10(value));
            BigInteger digits;
            while (true)
            {
                var shift = precision - exponent;
                digits = shift >= 0
                    ? RoundHalfEven(numerator * BigInteger.Pow(10, shift), denominator)
                    : RoundHalfEven(numerator, denominator * BigInteger.Pow(10, -shift));
                if (digits >= BigInteger.Pow(10, precision + 1))
                {
                    exponent++;
                }
                else if (digits < BigInteger.Pow(10, precision))
                {
                    exponent--;
                }
                else
                {
                    break;
                }
            }

            var text = digits.ToString(CultureInfo.InvariantCulture);
            var mantissa = precision == 0 ? text : text[..1] + "." + text[1..];
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }

        /// <summary><c>repr(value)</c>: the shortest digits that round-trip, in fixed notation from 1e-4 up to 1e16, else exponent notation.</summary>
        public static string Repr(double value)
        {
            // "E16" is not shortest; "R" is, in either fixed or exponent form: normalise it to digits and an exponent.
            var shortest = value.ToString("R", CultureInfo.InvariantCulture);
            var e = shortest.IndexOf('E', StringComparison.Ordinal);
            var mantissa = e < 0 ? shortest : shortest[..e];
            var exponent = e < 0 ? 0 : int.Parse(shortest[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            var point = mantissa.IndexOf('.', StringComparison.Ordinal);
            var digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
            var pointPosition = (point < 0 ? mantissa.Length : point) + exponent; // digits[..pointPosition] is the integer part
            var trimmed = digits.TrimStart('0');
            pointPosition -= digits.Length - trimmed.Length;
            digits = trimmed.TrimEnd('0');
            if (digits.Length == 0)
            {
                return "0.0";
            }

            var scientific = pointPosition - 1;
            if (scientific < -4 || scientific >= 16)
            {
                var rest = digits[1..];
                return digits[..1] + (rest.Length == 0 ? string.Empty : "." + rest) + "e" + (scientific < 0 ? "-" : "+") + Math.Abs(scientific).ToString("00", CultureInfo.InvariantCulture);
            }

            if (pointPosition <= 0)
            {
                return "0." + new string('0', -pointPosition) + digits;
            }

            return digits.Length <= pointPosition
                ? digits + new string('0', pointPosition - digits.Length) + ".0"
                : digits[..pointPosition] + "." + digits[pointPosition..];
        }

        private static (BigInteger Numerator, BigInteger Denominator) Exact(double value)
        {
            var bits = BitConverter.DoubleToInt64Bits(value);
            var exponentBits = (int)((bits >> 52) & 0x7FF);
            var mantissa = bits & 0xFFFFFFFFFFFFFL;
            if (exponentBits == 0)
            {
                exponentBits = 1;
            }
            else
            {
                mantissa |= 1L << 52;
            }

            var exponent = exponentBits - 1075;
            return exponent >= 0
                ? (new BigInteger(mantissa) << exponent, BigInteger.One)
                : (new BigInteger(mantissa), BigInteger.One << -exponent);
        }

        private static BigInteger RoundHalfEven(BigInteger numerator, BigInteger denominator)
        {
            var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
            var twice = remainder * 2;
            return twice > denominator || (twice == denominator && !quotient.IsEven) ? quotient + 1 : quotient;
        }
    }
}
