// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>Sample-weighted running means of the loss and metrics over an epoch.</summary>
internal sealed class MetricAccumulator
{
    private readonly string[] _keys;
    private readonly double[] _sums;
    private long _samples;

    public MetricAccumulator(IReadOnlyList<string> keys)
    {
        _keys = [.. keys];
        _sums = new double[_keys.Length];
    }

    public long Samples => _samples;

    /// <summary>Adds one batch: the sum over its samples of each value, in key order.</summary>
    public void Add(ReadOnlySpan<double> sums, int count)
    {
        for (var i = 0; i < _sums.Length; i++)
        {
            _sums[i] += sums[i];
        }

        _samples += count;
    }

    /// <summary>Returns the means so far, under the keys with an optional prefix (such as <c>val_</c>).</summary>
    public Dictionary<string, double> Means(string prefix = "")
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < _keys.Length; i++)
        {
            result[prefix + _keys[i]] = _samples == 0 ? double.NaN : _sums[i] / _samples;
        }

        return result;
    }
}
