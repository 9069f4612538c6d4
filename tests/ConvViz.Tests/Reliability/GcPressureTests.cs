// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Tests.Reliability;

/// <summary>
/// The stress mode is on exactly when it was asked for, and its thread really collects: CI's stress run selects this
/// test too, so a stress run that silently ran without pressure fails here.
/// </summary>
public sealed class GcPressureTests
{
    [Fact]
    public void StressMode_RunsThePressureThreadExactlyWhenRequested()
    {
        var requested = Environment.GetEnvironmentVariable(GcPressure.StressVariable) == "1";

        if (!requested)
        {
            Assert.Null(GcPressure.Process);
            return;
        }

        Assert.NotNull(GcPressure.Process);
        var before = GcPressure.Process.Collections;
        GcPressure.Process.WaitForCollections(100);
        Assert.True(GcPressure.Process.Collections >= before + 100);
    }

    [Fact]
    public void Start_ForcesCollectionsUntilDisposed()
    {
        var gen0 = GC.CollectionCount(0);
        using var pressure = GcPressure.Start();
        pressure.WaitForCollections(50);
        Assert.True(GC.CollectionCount(0) >= gen0 + 50);

        pressure.Dispose();
        var stoppedAt = pressure.Collections;
        GC.Collect();
        GC.WaitForPendingFinalizers();

        // Dispose joined the thread, so its count cannot move any more.
        Assert.Equal(stoppedAt, pressure.Collections);
    }
}
