// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using ConvViz.Models;
using ConvViz.Training;

namespace ConvViz.Tests.Training;

/// <summary>Keras' checkpoint path fields. Expected strings are Python 3's <c>format(value, spec)</c>.</summary>
public sealed class CheckpointPathTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "convviz-checkpoint-path-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(".2f", 0.625, "0.62")]
    [InlineData(".2f", 0.125, "0.12")]
    [InlineData(".2f", 2.5, "2.50")]
    [InlineData(".2f", 0.41234, "0.41")]
    [InlineData(".2f", 1e-05, "0.00")]
    [InlineData(".2f", 0.0001, "0.00")]
    [InlineData(".2f", 1e+16, "10000000000000000.00")]
    [InlineData(".2f", 1000000000000000.0, "1000000000000000.00")]
    [InlineData(".2f", 123.0, "123.00")]
    [InlineData(".2f", -0.001, "-0.00")]
    [InlineData(".2f", 0.6931471805599453, "0.69")]
    [InlineData(".2f", 9.995, "9.99")]
    [InlineData(".2f", 0.0, "0.00")]
    [InlineData(".2f", 1.5e-07, "0.00")]
    [InlineData(".2f", double.NaN, "nan")]
    [InlineData(".2f", double.PositiveInfinity, "inf")]
    [InlineData(".2f", -2.5, "-2.50")]
    [InlineData(".2f", 5e-324, "0.00")]
    [InlineData(".2f", -0.0, "-0.00")]
    [InlineData(".4f", 0.625, "0.6250")]
    [InlineData(".4f", 0.125, "0.1250")]
    [InlineData(".4f", 2.5, "2.5000")]
    [InlineData(".4f", 0.41234, "0.4123")]
    [InlineData(".4f", 1e-05, "0.0000")]
    [InlineData(".4f", 0.0001, "0.0001")]
    [InlineData(".4f", 1e+16, "10000000000000000.0000")]
    [InlineData(".4f", 1000000000000000.0, "1000000000000000.0000")]
    [InlineData(".4f", 123.0, "123.0000")]
    [InlineData(".4f", -0.001, "-0.0010")]
    [InlineData(".4f", 0.6931471805599453, "0.6931")]
    [InlineData(".4f", 9.995, "9.9950")]
    [InlineData(".4f", 0.0, "0.0000")]
    [InlineData(".4f", 1.5e-07, "0.0000")]
    [InlineData(".4f", double.NaN, "nan")]
    [InlineData(".4f", double.PositiveInfinity, "inf")]
    [InlineData(".4f", -2.5, "-2.5000")]
    [InlineData(".4f", 5e-324, "0.0000")]
    [InlineData(".4f", -0.0, "-0.0000")]
    [InlineData(".0f", 0.625, "1")]
    [InlineData(".0f", 0.125, "0")]
    [InlineData(".0f", 2.5, "2")]
    [InlineData(".0f", 0.41234, "0")]
    [InlineData(".0f", 1e-05, "0")]
    [InlineData(".0f", 0.0001, "0")]
    [InlineData(".0f", 1e+16, "10000000000000000")]
    [InlineData(".0f", 1000000000000000.0, "1000000000000000")]
    [InlineData(".0f", 123.0, "123")]
    [InlineData(".0f", -0.001, "-0")]
    [InlineData(".0f", 0.6931471805599453, "1")]
    [InlineData(".0f", 9.995, "10")]
    [InlineData(".0f", 0.0, "0")]
    [InlineData(".0f", 1.5e-07, "0")]
    [InlineData(".0f", double.NaN, "nan")]
    [InlineData(".0f", double.PositiveInfinity, "inf")]
    [InlineData(".0f", -2.5, "-2")]
    [InlineData(".0f", 5e-324, "0")]
    [InlineData(".0f", -0.0, "-0")]
    [InlineData("08.3f", 0.625, "0000.625")]
    [InlineData("08.3f", 0.125, "0000.125")]
    [InlineData("08.3f", 2.5, "0002.500")]
    [InlineData("08.3f", 0.41234, "0000.412")]
    [InlineData("08.3f", 1e-05, "0000.000")]
    [InlineData("08.3f", 0.0001, "0000.000")]
    [InlineData("08.3f", 1e+16, "10000000000000000.000")]
    [InlineData("08.3f", 1000000000000000.0, "1000000000000000.000")]
    [InlineData("08.3f", 123.0, "0123.000")]
    [InlineData("08.3f", -0.001, "-000.001")]
    [InlineData("08.3f", 0.6931471805599453, "0000.693")]
    [InlineData("08.3f", 9.995, "0009.995")]
    [InlineData("08.3f", 0.0, "0000.000")]
    [InlineData("08.3f", 1.5e-07, "0000.000")]
    [InlineData("08.3f", double.NaN, "00000nan")]
    [InlineData("08.3f", double.PositiveInfinity, "00000inf")]
    [InlineData("08.3f", -2.5, "-002.500")]
    [InlineData("08.3f", 5e-324, "0000.000")]
    [InlineData("08.3f", -0.0, "-000.000")]
    [InlineData(".2e", 0.625, "6.25e-01")]
    [InlineData(".2e", 0.125, "1.25e-01")]
    [InlineData(".2e", 2.5, "2.50e+00")]
    [InlineData(".2e", 0.41234, "4.12e-01")]
    [InlineData(".2e", 1e-05, "1.00e-05")]
    [InlineData(".2e", 0.0001, "1.00e-04")]
    [InlineData(".2e", 1e+16, "1.00e+16")]
    [InlineData(".2e", 1000000000000000.0, "1.00e+15")]
    [InlineData(".2e", 123.0, "1.23e+02")]
    [InlineData(".2e", -0.001, "-1.00e-03")]
    [InlineData(".2e", 0.6931471805599453, "6.93e-01")]
    [InlineData(".2e", 9.995, "9.99e+00")]
    [InlineData(".2e", 0.0, "0.00e+00")]
    [InlineData(".2e", 1.5e-07, "1.50e-07")]
    [InlineData(".2e", double.NaN, "nan")]
    [InlineData(".2e", double.PositiveInfinity, "inf")]
    [InlineData(".2e", -2.5, "-2.50e+00")]
    [InlineData(".2e", 5e-324, "4.94e-324")]
    [InlineData(".2e", 1.7976931348623157e+308, "1.80e+308")]
    [InlineData(".2e", -0.0, "-0.00e+00")]
    [InlineData(".0e", 0.625, "6e-01")]
    [InlineData(".0e", 0.125, "1e-01")]
    [InlineData(".0e", 2.5, "2e+00")]
    [InlineData(".0e", 0.41234, "4e-01")]
    [InlineData(".0e", 1e-05, "1e-05")]
    [InlineData(".0e", 0.0001, "1e-04")]
    [InlineData(".0e", 1e+16, "1e+16")]
    [InlineData(".0e", 1000000000000000.0, "1e+15")]
    [InlineData(".0e", 123.0, "1e+02")]
    [InlineData(".0e", -0.001, "-1e-03")]
    [InlineData(".0e", 0.6931471805599453, "7e-01")]
    [InlineData(".0e", 9.995, "1e+01")]
    [InlineData(".0e", 0.0, "0e+00")]
    [InlineData(".0e", 1.5e-07, "1e-07")]
    [InlineData(".0e", double.NaN, "nan")]
    [InlineData(".0e", double.PositiveInfinity, "inf")]
    [InlineData(".0e", -2.5, "-2e+00")]
    [InlineData(".0e", 5e-324, "5e-324")]
    [InlineData(".0e", 1.7976931348623157e+308, "2e+308")]
    [InlineData(".0e", -0.0, "-0e+00")]
    [InlineData(".3e", 0.625, "6.250e-01")]
    [InlineData(".3e", 0.125, "1.250e-01")]
    [InlineData(".3e", 2.5, "2.500e+00")]
    [InlineData(".3e", 0.41234, "4.123e-01")]
    [InlineData(".3e", 1e-05, "1.000e-05")]
    [InlineData(".3e", 0.0001, "1.000e-04")]
    [InlineData(".3e", 1e+16, "1.000e+16")]
    [InlineData(".3e", 1000000000000000.0, "1.000e+15")]
    [InlineData(".3e", 123.0, "1.230e+02")]
    [InlineData(".3e", -0.001, "-1.000e-03")]
    [InlineData(".3e", 0.6931471805599453, "6.931e-01")]
    [InlineData(".3e", 9.995, "9.995e+00")]
    [InlineData(".3e", 0.0, "0.000e+00")]
    [InlineData(".3e", 1.5e-07, "1.500e-07")]
    [InlineData(".3e", double.NaN, "nan")]
    [InlineData(".3e", double.PositiveInfinity, "inf")]
    [InlineData(".3e", -2.5, "-2.500e+00")]
    [InlineData(".3e", 5e-324, "4.941e-324")]
    [InlineData(".3e", 1.7976931348623157e+308, "1.798e+308")]
    [InlineData(".3e", -0.0, "-0.000e+00")]
    [InlineData("", 0.625, "0.625")]
    [InlineData("", 0.125, "0.125")]
    [InlineData("", 2.5, "2.5")]
    [InlineData("", 0.41234, "0.41234")]
    [InlineData("", 1e-05, "1e-05")]
    [InlineData("", 0.0001, "0.0001")]
    [InlineData("", 1e+16, "1e+16")]
    [InlineData("", 1000000000000000.0, "1000000000000000.0")]
    [InlineData("", 123.0, "123.0")]
    [InlineData("", -0.001, "-0.001")]
    [InlineData("", 0.6931471805599453, "0.6931471805599453")]
    [InlineData("", 9.995, "9.995")]
    [InlineData("", 0.0, "0.0")]
    [InlineData("", 1.5e-07, "1.5e-07")]
    [InlineData("", double.NaN, "nan")]
    [InlineData("", double.PositiveInfinity, "inf")]
    [InlineData("", -2.5, "-2.5")]
    [InlineData("", 5e-324, "5e-324")]
    [InlineData("", 1.7976931348623157e+308, "1.7976931348623157e+308")]
    [InlineData("", -0.0, "-0.0")]
    [InlineData("10.1f", 0.625, "       0.6")]
    [InlineData("10.1f", 0.125, "       0.1")]
    [InlineData("10.1f", 2.5, "       2.5")]
    [InlineData("10.1f", 0.41234, "       0.4")]
    [InlineData("10.1f", 1e-05, "       0.0")]
    [InlineData("10.1f", 0.0001, "       0.0")]
    [InlineData("10.1f", 1e+16, "10000000000000000.0")]
    [InlineData("10.1f", 1000000000000000.0, "1000000000000000.0")]
    [InlineData("10.1f", 123.0, "     123.0")]
    [InlineData("10.1f", -0.001, "      -0.0")]
    [InlineData("10.1f", 0.6931471805599453, "       0.7")]
    [InlineData("10.1f", 9.995, "      10.0")]
    [InlineData("10.1f", 0.0, "       0.0")]
    [InlineData("10.1f", 1.5e-07, "       0.0")]
    [InlineData("10.1f", double.NaN, "       nan")]
    [InlineData("10.1f", double.PositiveInfinity, "       inf")]
    [InlineData("10.1f", -2.5, "      -2.5")]
    [InlineData("10.1f", 5e-324, "       0.0")]
    [InlineData("10.1f", -0.0, "      -0.0")]
    public void Format_Float_MatchesPython(string spec, double value, string expected)
    {
        var path = CheckpointPath.Parse("{x" + (spec.Length == 0 ? string.Empty : ":" + spec) + "}", "filePath");

        Assert.Equal(expected, path.Format(1, new Dictionary<string, double> { ["x"] = value }));
    }

    [Theory]
    [InlineData("{epoch}", "3")]
    [InlineData("{epoch:02d}", "03")]
    [InlineData("{epoch:d}", "3")]
    [InlineData("{epoch:3d}", "  3")]
    [InlineData("{epoch:03}", "003")]
    [InlineData("{epoch:.2f}", "3.00")]
    [InlineData("{{epoch}}-{epoch}", "{epoch}-3")]
    [InlineData("a}}b", "a}b")]
    public void Format_Epoch_MatchesPython(string template, string expected)
    {
        Assert.Equal(expected, CheckpointPath.Parse(template, "filePath").Format(3, new Dictionary<string, double>()));
    }

    [Fact]
    public void ModelCheckpoint_KerasPath_WritesOneFilePerEpochWithTheLoggedValues()
    {
        using var test = new CallbackTestContext();
        var checkpoint = new ModelCheckpoint(Path.Combine(_directory, "weights.{epoch:02d}-{val_loss:.2f}.h5")) { Save = (_, stream) => stream.WriteByte(1) };
        double[] losses = [0.6931, 0.41234, 0.125];

        for (var epoch = 0; epoch < losses.Length; epoch++)
        {
            checkpoint.OnEpochEnd(test.EpochEnd(epoch, new Dictionary<string, double> { ["loss"] = 1, ["val_loss"] = losses[epoch] }));
        }

        Assert.Equal(
            ["weights.01-0.69.h5", "weights.02-0.41.h5", "weights.03-0.12.h5"],
            Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(Path.Combine(_directory, "weights.03-0.12.h5"), checkpoint.LastSavedPath);
    }

    [Fact]
    public void ModelCheckpoint_AnyLoggedMetric_IsCultureInvariant()
    {
        using var test = new CallbackTestContext();
        var checkpoint = new ModelCheckpoint(Path.Combine(_directory, "m-{epoch}-{accuracy:.4f}-{loss:.1e}-{val_accuracy}.bin")) { Save = (_, stream) => stream.WriteByte(1) };
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            checkpoint.OnEpochEnd(test.EpochEnd(4, new Dictionary<string, double> { ["loss"] = 0.000123, ["accuracy"] = 0.93755, ["val_accuracy"] = 0.5 }));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        Assert.Equal(Path.Combine(_directory, "m-5-0.9375-1.2e-04-0.5.bin"), checkpoint.LastSavedPath);
        Assert.True(File.Exists(checkpoint.LastSavedPath));
    }

    [Fact]
    public void ModelCheckpoint_UnknownField_ThrowsNamingItAndTheAvailableNames()
    {
        using var test = new CallbackTestContext();
        var checkpoint = new ModelCheckpoint(Path.Combine(_directory, "weights.{epoch:02d}-{val_loss:.2f}.h5")) { Save = (_, stream) => stream.WriteByte(1) };

        var ex = Assert.Throws<InvalidOperationException>(() => checkpoint.OnEpochEnd(test.EpochEnd(0, new Dictionary<string, double> { ["loss"] = 1, ["accuracy"] = 0.5 })));

        Assert.Contains("{val_loss}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Available: epoch, loss, accuracy.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("validation data", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_directory));
    }

    [Theory]
    [InlineData("model-{epoch", "without a closing")]
    [InlineData("model-epoch}", "single '}'")]
    [InlineData("model-{}", "a field is a name")]
    [InlineData("model-{epoch!r}", "a field is a name")]
    [InlineData("model-{val_loss:>8.2f}", "not supported")]
    [InlineData("model-{val_loss:.2g}", "not supported")]
    [InlineData("model-{val_loss:02d}", "logged values are floats")]
    [InlineData("model-{epoch:.2d}", "takes no precision")]
    public void ModelCheckpoint_MalformedPath_IsRefusedAtConstruction(string name, string reason)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ModelCheckpoint(Path.Combine(_directory, name)));

        Assert.Equal("filePath", ex.ParamName);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_KerasPath_NamesTheFilesAfterTheEpochAndTheValidationLoss()
    {
        using var model = TrainingTestData.TinyModel(41).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var validation = TrainingTestData.Brightness(4, 4, 2);
        var checkpoint = new ModelCheckpoint(Path.Combine(_directory, "weights.{epoch:02d}-{val_loss:.2f}.convviz"));

        var history = model.Fit(train, new FitOptions { Epochs = 2, ValidationData = validation, Callbacks = [checkpoint] });

        var expected = history["val_loss"].Select((loss, i) => $"weights.{i + 1:00}-{CheckpointPath.PythonFloat.Fixed(loss, 2)}.convviz").ToArray();
        Assert.Equal(expected, Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var copy = Model.Load(checkpoint.LastSavedPath!);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
