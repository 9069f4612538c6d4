// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Inspection;
using ConvViz.Visualization;
using TorchSharp;

namespace ConvViz.Tests.Inspection;

/// <summary>Every inspection entry point leaves only the tensors it returns alive (no native leaks per call).</summary>
public sealed class NativeMemoryTests
{
    [Fact]
    public void GradCamSaliencyAndActivationMaximization_LeaveOnlyTheirResultsAlive()
    {
        using var model = KnownAnswerModel.Create();
        using var input = KnownAnswerModel.CreateInput();
        var options = new ActivationMaximizationOptions { Steps = 3 };
        RunAll();   // warm-up: lazily created tensors are not leaks

        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        RunAll();

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        void RunAll()
        {
            GradCam.Compute(model, input, 1).Dispose();
            GradCam.ComputeBatch(model, input, [0]).Dispose();
            Saliency.Compute(model, input, 1).Dispose();
            Saliency.Compute(model, input, 1, new SaliencyOptions { Target = AttributionTarget.Probability }).Dispose();
            GradCamPlusPlus.Compute(model, input, 1, new GradCamOptions { Normalize = false }).Dispose();
            SmoothGrad.Compute(model, input, 1, new SmoothGradOptions { SampleCount = 5, BatchSize = 2 }).Dispose();
            IntegratedGradients.Compute(model, input, 1, new IntegratedGradientsOptions { Steps = 5, BatchSize = 4 }).Dispose();
            IntegratedGradients.Compute(model, input, 0, new IntegratedGradientsOptions { Steps = 3, Baseline = input }).Dispose();
            ActivationMaximization.RunLayer(model, "conv2d", null, options).Dispose();
            IntermediateModel.From(model, -1).Predict(input).Dispose();
            FeatureMapGrid.Render(input).Dispose();
            HtmlReport.Create(model, new HtmlReportOptions { Input = input });
        }
    }
}
