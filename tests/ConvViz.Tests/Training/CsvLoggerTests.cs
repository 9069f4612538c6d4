// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Globalization;
using ConvViz.Models;
using ConvViz.Training;

namespace ConvViz.Tests.Training;

public sealed class CsvLoggerTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "convviz-log-" + Guid.NewGuid().ToString("N") + ".csv");

    [Fact]
    public void Fit_WritesKerasCsvLoggerRows()
    {
        using var model = TrainingTestData.TinyModel(41).Compile(new CompileOptions());
        using var train = TrainingTestData.Brightness(8, 4, 1);
        using var validation = TrainingTestData.Brightness(4, 4, 2);

        var history = model.Fit(train, new FitOptions { Epochs = 2, ValidationData = validation, Callbacks = [new CsvLogger(_path)] });

        var lines = File.ReadAllLines(_path);
        Assert.Equal("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss", lines[0]);
        Assert.Equal(3, lines.Length);
        var row = lines[2].Split(',');
        Assert.Equal("1", row[0]);
        Assert.Equal(history["loss"][1], double.Parse(row[3], CultureInfo.InvariantCulture), 1e-12);
    }

    [Fact]
    public void Append_SecondRun_AddsRowsWithoutASecondHeader()
    {
        using var test = new CallbackTestContext();
        test.Run(new CsvLogger(_path), "val_loss", 1, 2);
        test.Run(new CsvLogger(_path) { Append = true }, "val_loss", 3);

        var lines = File.ReadAllLines(_path);

        Assert.Equal(["epoch,loss,val_loss", "0,1,1", "1,1,2", "0,1,3"], lines);
    }

    [Fact]
    public void NoAppend_SecondRun_ReplacesTheFile()
    {
        using var test = new CallbackTestContext();
        test.Run(new CsvLogger(_path), "val_loss", 1, 2);
        test.Run(new CsvLogger(_path) { Separator = ';' }, "val_loss", 3);

        Assert.Equal(["epoch;loss;val_loss", "0;1;3"], File.ReadAllLines(_path));
    }

    public void Dispose() => File.Delete(_path);
}
