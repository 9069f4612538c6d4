// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Json;
using ConvViz.Training;

namespace ConvViz.Tests.Training;

public sealed class TrainingHistoryTests
{
    [Fact]
    public void Add_OrdersKeysLikeKeras()
    {
        var history = new TrainingHistory(0, 1, 1);

        history.Add(0, new Dictionary<string, double> { ["val_accuracy"] = 1, ["accuracy"] = 2, ["val_loss"] = 3, ["loss"] = 4, ["learning_rate"] = 5 }, 0.1, TimeSpan.Zero);

        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy"], history.Keys);
        Assert.Equal([0.1], history.LearningRates);
    }

    [Fact]
    public void Add_KeyAppearsLater_IsPaddedWithNaN()
    {
        var history = new TrainingHistory(0, 2, 1);
        history.Add(0, new Dictionary<string, double> { ["loss"] = 1 }, 0.1, TimeSpan.Zero);

        history.Add(1, new Dictionary<string, double> { ["loss"] = 0.5, ["val_loss"] = 0.7 }, 0.1, TimeSpan.Zero);

        Assert.True(double.IsNaN(history["val_loss"][0]));
        Assert.Equal(0.7, history["val_loss"][1]);
    }

    [Fact]
    public void Indexer_UnknownKey_ListsTheKeys()
    {
        var history = Sample();

        var ex = Assert.Throws<KeyNotFoundException>(() => history["acc"]);

        Assert.Contains("loss, accuracy, val_loss, val_accuracy", ex.Message);
    }

    [Fact]
    public void ToCsv_HasEpochKeysLearningRateAndTime()
    {
        var csv = Sample().ToCsv();

        Assert.Equal(
            "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,time\n" +
            "3,0.5,0.75,0.625,,0.001,1.5\n" +
            "4,0.25,1,0.5,0.5,0.0005,2\n",
            csv);
    }

    [Fact]
    public void ToJson_HasParamsEpochsAndSeriesWithNullForMissing()
    {
        using var json = JsonDocument.Parse(Sample().ToJson());
        var root = json.RootElement;

        Assert.Equal(3, root.GetProperty("params").GetProperty("initial_epoch").GetInt32());
        Assert.Equal(5, root.GetProperty("params").GetProperty("epochs").GetInt32());
        Assert.Equal([3, 4], root.GetProperty("epoch").EnumerateArray().Select(e => e.GetInt32()));
        var h = root.GetProperty("history");
        Assert.Equal([0.5, 0.25], h.GetProperty("loss").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(JsonValueKind.Null, h.GetProperty("val_accuracy")[0].ValueKind);
        Assert.Equal([0.001, 0.0005], h.GetProperty("learning_rate").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([1.5, 2.0], h.GetProperty("time").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public void SaveCsvAndJson_WriteFiles()
    {
        var history = Sample();
        var csv = Path.GetTempFileName();
        var json = Path.GetTempFileName();
        try
        {
            history.SaveCsv(csv);
            history.SaveJson(json);

            Assert.Equal(history.ToCsv(), File.ReadAllText(csv));
            Assert.Equal(history.ToJson(), File.ReadAllText(json));
        }
        finally
        {
            File.Delete(csv);
            File.Delete(json);
        }
    }

    [Fact]
    public void ToString_PrintsTheFinalEpochLikeR()
    {
        Assert.Equal(
            "Final epoch (plot to see history):\n        loss: 0.25\n    accuracy: 1\n    val_loss: 0.5\nval_accuracy: 0.5",
            Sample().ToString());
    }

    private static TrainingHistory Sample()
    {
        var history = new TrainingHistory(3, 5, 10);
        history.Add(3, new Dictionary<string, double> { ["loss"] = 0.5, ["accuracy"] = 0.75, ["val_loss"] = 0.625, ["val_accuracy"] = double.NaN }, 0.001, TimeSpan.FromSeconds(1.5));
        history.Add(4, new Dictionary<string, double> { ["loss"] = 0.25, ["accuracy"] = 1, ["val_loss"] = 0.5, ["val_accuracy"] = 0.5 }, 0.0005, TimeSpan.FromSeconds(2));
        return history;
    }
}
