// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConvViz.Tests.Training;

public sealed class FitOptionsTests
{
    [Fact]
    public void Defaults_AreKeras()
    {
        var options = new FitOptions();

        Assert.Equal(1, options.Epochs);
        Assert.Equal(0, options.InitialEpoch);
        Assert.Null(options.StepsPerEpoch);
        Assert.Null(options.ValidationData);
        Assert.Null(options.ValidationSteps);
        Assert.Empty(options.Callbacks);
        Assert.Same(NullLogger.Instance, options.Logger);
        Assert.Null(options.Seed);
    }

    [Fact]
    public void InvalidValues_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { Epochs = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { InitialEpoch = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { StepsPerEpoch = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new FitOptions { ValidationSteps = 0 });
        Assert.Throws<ArgumentNullException>(() => new FitOptions { Callbacks = [null!] });
        Assert.Throws<ArgumentNullException>(() => new FitOptions { Logger = null! });
    }

    [Fact]
    public void Callbacks_AreCopied()
    {
        var list = new List<Callback> { new TerminateOnNaN() };
        var options = new FitOptions { Callbacks = list };

        list.Clear();

        Assert.Single(options.Callbacks);
    }
}
