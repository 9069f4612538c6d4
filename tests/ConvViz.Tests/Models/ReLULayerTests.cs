// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models;
using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// Keras' ReLU and Rescaling layers and the relu6, swish and gelu activations against values computed by hand (Python's math module,
/// following Keras' backend code for ReLU, including its clip at 0 when a cap is set with a negative threshold).
/// </summary>
public sealed class ReLULayerTests
{
    private static readonly float[] s_inputs = [-3f, -1.5f, -0.5f, 0f, 0.25f, 1f, 2.5f, 7f];

    public static TheoryData<double?, double, double, float[]> ReLUCases() => new()
    {
        { null, 0, 0, [0f, 0f, 0f, 0f, 0.25f, 1f, 2.5f, 7f] },
        { 6, 0, 0, [0f, 0f, 0f, 0f, 0.25f, 1f, 2.5f, 6f] },
        { null, 0.1, 0, [-0.3f, -0.15f, -0.05f, 0f, 0.25f, 1f, 2.5f, 7f] },
        { 4, 0.5, 1, [-2f, -1.25f, -0.75f, -0.5f, -0.375f, 0f, 2.5f, 4f] },
        { 2, 0, -1, [0f, 0f, 0f, 0f, 0.25f, 1f, 2f, 2f] },
        { null, 0, -1, [0f, 0f, -0.5f, 0f, 0.25f, 1f, 2.5f, 7f] },
    };

    [Theory]
    [MemberData(nameof(ReLUCases))]
    public void ReLU_MatchesKerasBackend(double? maxValue, double negativeSlope, double threshold, float[] expected)
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(1, s_inputs.Length, 1).AddReLU(maxValue, negativeSlope, threshold).Build();

        var output = model.Predict(Inputs()).flatten().data<float>().ToArray();

        Assert.Equal(expected.Length, output.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], output[i], 1e-6f);
        }
    }

    [Theory]
    [InlineData(Activation.ReLU6, new[] { 0.0, 0, 0, 0, 0.25, 1, 2.5, 6 })]
    [InlineData(Activation.Swish, new[] { -0.14227761953270035, -0.2736382857095345, -0.1887703343990727, 0.0, 0.14054412522144952, 0.7310585786300049, 2.3103545499468914, 6.993622641639196 })]
    // Keras 2.x / R keras hard_sigmoid, clip(0.2x + 0.5, 0, 1); Keras 3's relu6(x + 3) / 6 would give 0.25 at −1.5, 0.75 at 1.5.
    [InlineData(Activation.HardSigmoid, new[] { 0.0, 0.2, 0.4, 0.5, 0.55, 0.7, 1.0, 1.0 })]
    [InlineData(Activation.GELU, new[] { -0.00404969409489031, -0.10021080190328713, -0.15426876936299344, 0.0, 0.14967658142073093, 0.8413447460685429, 2.4844758366855597, 6.999999999991041 })]
    public void Activation_MatchesItsFormula(Activation activation, double[] expected)
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(1, s_inputs.Length, 1).AddActivation(activation).Build();

        var output = model.Predict(Inputs()).flatten().data<float>().ToArray();

        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], output[i], 1e-6);
        }
    }

    [Theory]
    [InlineData("linear", Activation.Linear)]
    [InlineData("relu", Activation.ReLU)]
    [InlineData("relu6", Activation.ReLU6)]
    [InlineData("sigmoid", Activation.Sigmoid)]
    [InlineData("hard_sigmoid", Activation.HardSigmoid)]
    [InlineData("tanh", Activation.Tanh)]
    [InlineData("softmax", Activation.Softmax)]
    [InlineData("swish", Activation.Swish)]
    [InlineData("elu", Activation.ELU)]
    [InlineData("selu", Activation.SELU)]
    [InlineData("gelu", Activation.GELU)]
    public void EveryKerasActivationName_HasAMember(string kerasName, Activation expected)
    {
        // Keras' snake_case name without '_' is the member name, ignoring case.
        var member = Enum.GetValues<Activation>().Single(a => string.Equals(a.ToString(), kerasName.Replace("_", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));

        Assert.Equal(expected, member);
    }

    [Fact]
    public void ReLU_SavedAndLoaded_KeepsItsOptionsAndOutputs()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(1, s_inputs.Length, 1).AddReLU(4, 0.5, 1).AddActivation(Activation.GELU).Build();
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;

        using var loaded = Model.Load(stream);

        Assert.Equal(new ReLUOptions { Name = "re_lu", MaxValue = 4, NegativeSlope = 0.5, Threshold = 1 }, loaded.Layers[0].Options);
        Assert.True(model.Predict(Inputs()).equal(loaded.Predict(Inputs())).all().item<bool>());
    }

    [Fact]
    public void ReLU_BadOptions_ThrowNamingTheOption()
    {
        Assert.Equal("MaxValue", Assert.Throws<ArgumentOutOfRangeException>(() => new ReLUOptions { MaxValue = -1 }).ParamName);
        Assert.Equal("NegativeSlope", Assert.Throws<ArgumentOutOfRangeException>(() => new ReLUOptions { NegativeSlope = -0.1 }).ParamName);
        Assert.Equal("Threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new ReLUOptions { Threshold = double.NaN }).ParamName);
    }

    [Fact]
    public void Rescaling_ScalesThenOffsets_AndRefusesAZeroScale()
    {
        using var scope = NewDisposeScope();
        using var model = new SequentialBuilder(1, s_inputs.Length, 1).AddRescaling(1.0 / 255).AddRescaling(2, -1).Build();

        var output = model.Predict(Inputs()).flatten().data<float>().ToArray();

        for (var i = 0; i < s_inputs.Length; i++)
        {
            Assert.Equal((s_inputs[i] / 255.0 * 2) - 1, output[i], 1e-6);
        }

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new RescalingOptions { Scale = 1 / 255 });
        Assert.Equal("Scale", ex.ParamName);
        Assert.Contains("1.0 / 255", ex.Message, StringComparison.Ordinal);
    }

    private static Tensor Inputs() => tensor(s_inputs).reshape(1, 1, 1, s_inputs.Length);
}
