// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Training;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace ConvViz.Tests.Training;

public sealed class KerasOptimizerTests
{
    private static readonly float[] s_start = [1.0f, -2.0f, 0.5f];
    private static readonly float[] s_gradient1 = [0.5f, -0.1f, 0.0f];
    private static readonly float[] s_gradient2 = [0.2f, 0.3f, -0.05f];

    [Fact]
    public void Adamax_OneStep_MatchesHandComputedKerasUpdate()
    {
        // t = 1: m = 0.1 g; u = |g|; w -= 0.001 * m / ((1 - 0.9) * (u + 1e-7)).
        var w = Run(OptimizerOptions.Adamax(), s_gradient1);

        Assert.Equal(0.9990000002, w[0], 1e-6);
        Assert.Equal(-1.999000001, w[1], 1e-6);
        Assert.Equal(0.5, w[2], 1e-6); // zero gradient: 0 / (0 + eps) = 0, no division by zero
    }

    [Fact]
    public void Adamax_TwoSteps_MatchesKeras()
    {
        var w = Run(OptimizerOptions.Adamax(), s_gradient1, s_gradient2);

        Assert.Equal([0.9983151049153786, -1.9993684219298238, 0.5005263147368442], w, new Tolerance(1e-6));
    }

    [Fact]
    public void Adamax_LegacyDecay_DividesTheLearningRateByOnePlusDecayTimesIterations()
    {
        var w = Run(new OptimizerOptions { Kind = OptimizerKind.Adamax, LearningRate = 0.01, Decay = 0.5 }, s_gradient1, s_gradient2);

        Assert.Equal([0.9854340334358572, -1.992456149532154, 0.5035087649122947], w, new Tolerance(1e-6));
    }

    [Fact]
    public void Adam_TwoSteps_MatchesKeras() =>
        Assert.Equal([0.9981014363988028, -1.9994942165129777, 0.5007440897631983], Run(OptimizerOptions.Adam(), s_gradient1, s_gradient2), new Tolerance(1e-6));

    [Fact]
    public void Sgd_TwoSteps_MatchesKeras() =>
        Assert.Equal([0.993, -2.002, 0.5005], Run(OptimizerOptions.Sgd(), s_gradient1, s_gradient2), new Tolerance(1e-6));

    [Fact]
    public void SgdMomentum_TwoSteps_MatchesKeras() =>
        Assert.Equal([0.9885, -2.0011, 0.5005], Run(OptimizerOptions.Sgd(momentum: 0.9), s_gradient1, s_gradient2), new Tolerance(1e-6));

    [Fact]
    public void SgdNesterov_TwoSteps_MatchesKeras() =>
        Assert.Equal([0.98265, -2.00299, 0.50095], Run(OptimizerOptions.Sgd(momentum: 0.9, nesterov: true), s_gradient1, s_gradient2), new Tolerance(1e-6));

    [Fact]
    public void RmsProp_TwoSteps_MatchesKeras() =>
        Assert.Equal([0.9956091407487883, -1.9998529786599044, 0.5031616453943097], Run(OptimizerOptions.RmsProp(), s_gradient1, s_gradient2), new Tolerance(1e-6));

    [Fact]
    public void RmsPropMomentum_TwoSteps_MatchesKeras() =>
        Assert.Equal(
            [0.9940280050809722, -1.998271918880833, 0.5031616453943097],
            Run(new OptimizerOptions { Kind = OptimizerKind.RmsProp, Momentum = 0.5 }, s_gradient1, s_gradient2),
            new Tolerance(1e-6));

    [Fact]
    public void Step_CountsIterationsAndDecaysCurrentLearningRate()
    {
        using var scope = NewDisposeScope();
        using var p = new Parameter(tensor(s_start));
        using var optimizer = new KerasOptimizer(new OptimizerOptions { LearningRate = 0.1, Decay = 1 }, [p]);
        (p * tensor(s_gradient1)).sum().backward();

        optimizer.Step();
        optimizer.Step();

        Assert.Equal(2, optimizer.Iterations);
        Assert.Equal(0.1 / 3, optimizer.CurrentLearningRate, 1e-12);
    }

    [Fact]
    public void LearningRate_NotPositive_Throws()
    {
        using var p = new Parameter(zeros(1));
        using var optimizer = new KerasOptimizer(new OptimizerOptions(), [p]);

        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = 0);
    }

    private static double[] Run(OptimizerOptions options, params float[][] gradients)
    {
        using var scope = NewDisposeScope();
        using var p = new Parameter(tensor(s_start));
        using var optimizer = new KerasOptimizer(options, [p]);
        foreach (var g in gradients)
        {
            optimizer.ZeroGrad();
            (p * tensor(g)).sum().backward();
            optimizer.Step();
        }

        return p.detach().data<float>().ToArray().Select(v => (double)v).ToArray();
    }

    private sealed class Tolerance(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
