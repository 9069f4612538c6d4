// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;

namespace ConvViz.Benchmarks;

/// <summary>Times repeated calls for a time budget: a few warm-up calls, then at least <c>minRuns</c> timed calls.</summary>
internal static class Measure
{
    public sealed record Result(int Runs, double MedianMs, double MeanMs, double MinMs);

    public static Result Repeat(Action action, double budgetSeconds, int warmup = 2, int minRuns = 3, int maxRuns = 1000)
    {
        for (var i = 0; i < warmup; i++)
        {
            action();
        }

        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < maxRuns && (times.Count < minRuns || total.Elapsed.TotalSeconds < budgetSeconds))
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        var median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[(times.Count / 2) - 1] + times[times.Count / 2]) / 2;
        return new Result(times.Count, median, times.Average(), times[0]);
    }
}
