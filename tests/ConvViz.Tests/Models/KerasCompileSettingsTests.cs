// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.Json;
using ConvViz.Data;
using ConvViz.Models;
using ConvViz.Models.Keras;
using ConvViz.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// Keras files carry their compile settings (<c>training_config</c>, Keras 3 <c>compile_config</c>): an imported model
/// is compiled with them when ConvViz has every one, so that <c>Fit</c> continues training; otherwise it loads
/// uncompiled and the logger hears why. An imported model trained further and saved as a ConvViz file loads with
/// identical outputs.
/// </summary>
public sealed class KerasCompileSettingsTests
{
    private static readonly string s_assets = Path.Combine(AppContext.BaseDirectory, "TestAssets", "keras");

    [Fact]
    public void Keras2File_IsCompiledWithItsTrainingConfig()
    {
        using var model = Model.Load(Path.Combine(s_assets, "seq_list_keras21.h5"));
        var compile = Assert.IsType<CompileOptions>(model.Compilation);
        Assert.Equal(Loss.CategoricalCrossentropy, compile.Loss);
        Assert.Equal(OptimizerKind.RmsProp, compile.Optimizer.Kind);
        Assert.Equal(0.001, compile.Optimizer.LearningRate!.Value, 9);
        Assert.Equal([Metric.Accuracy], compile.Metrics);
    }

    [Fact]
    public void Keras3Archive_IsCompiledWithItsCompileConfig()
    {
        using var model = Model.Load(Path.Combine(s_assets, "k3_sequential.keras"));
        var compile = Assert.IsType<CompileOptions>(model.Compilation);
        Assert.Equal(OptimizerKind.Adam, compile.Optimizer.Kind);
        Assert.Equal(Loss.CategoricalCrossentropy, compile.Loss);
    }

    [Fact]
    public void SettingsWithoutAnOptimizer_LoadUncompiled_AndTheLoggerHearsWhy()
    {
        var logger = new ListLogger();
        using var model = Model.Load(Path.Combine(s_assets, "k3_legacy_sequential.h5"), new ModelLoadOptions { Logger = logger });
        Assert.Null(model.Compilation);
        var warning = Assert.Single(logger.Messages, m => m.Level == LogLevel.Warning);
        Assert.Contains("optimizer", warning.Text);
        Assert.Contains("Compile", warning.Text);
    }

    [Theory]
    [InlineData("{\"loss\": \"binary_crossentropy\", \"optimizer_config\": {\"class_name\": \"Adamax\", \"config\": {\"learning_rate\": 0.002, \"beta_1\": 0.8}}, \"metrics\": [\"acc\"]}", Loss.BinaryCrossentropy, OptimizerKind.Adamax)]
    [InlineData("{\"loss\": {\"class_name\": \"SparseCategoricalCrossentropy\", \"config\": {\"from_logits\": false}}, \"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.1, \"momentum\": 0.9, \"nesterov\": true}}, \"metrics\": [[\"accuracy\"]]}", Loss.SparseCategoricalCrossentropy, OptimizerKind.Sgd)]
    public void Map_KnownSettings(string json, Loss loss, OptimizerKind optimizer)
    {
        using var document = JsonDocument.Parse(json);
        var (options, unmapped) = KerasTrainingConfig.Map(document.RootElement);
        Assert.Null(unmapped);
        Assert.Equal(loss, options!.Loss);
        Assert.Equal(optimizer, options.Optimizer.Kind);
        Assert.Equal([Metric.Accuracy], options.Metrics);
    }

    [Theory]
    [InlineData("{\"loss\": \"huber\", \"optimizer_config\": {\"class_name\": \"Adam\", \"config\": {}}}", "loss")]
    [InlineData("{\"loss\": {\"class_name\": \"BinaryCrossentropy\", \"config\": {\"from_logits\": true}}, \"optimizer_config\": {\"class_name\": \"Adam\", \"config\": {}}}", "loss")]
    [InlineData("{\"loss\": \"mse\", \"optimizer_config\": {\"class_name\": \"Nadam\", \"config\": {}}}", "optimizer")]
    [InlineData("{\"loss\": \"mse\", \"optimizer_config\": {\"class_name\": \"Adam\", \"config\": {\"learning_rate\": {\"class_name\": \"ExponentialDecay\"}}}}", "optimizer")]
    [InlineData("{\"loss\": \"mse\", \"optimizer_config\": {\"class_name\": \"Adam\", \"config\": {}}, \"metrics\": [\"auc\"]}", "metric")]
    public void Map_UnknownSettings_SayWhichOne(string json, string what)
    {
        using var document = JsonDocument.Parse(json);
        var (options, unmapped) = KerasTrainingConfig.Map(document.RootElement);
        Assert.Null(options);
        Assert.Contains(what, unmapped);
    }

    [Fact]
    public void ImportedModel_TrainedFurther_SavesAndLoadsWithIdenticalOutputs()
    {
        using var scope = NewDisposeScope();
        using var model = Model.Load(Path.Combine(s_assets, "seq_list_keras21.h5"));
        var shape = model.InputShape;
        var units = model.Layers[^1].OutputShape.Channels;
        var generator = new Generator().manual_seed(3);
        var images = rand([8, shape.Channels, shape.Height, shape.Width], generator: generator);
        var labels = nn.functional.one_hot(randint(0, units, [8], generator: generator), units).to_type(ScalarType.Float32);
        using var before = model.Predict(images).clone();
        using (var train = new InMemoryDataset(images, labels, 4, ClassMode.Categorical, shuffle: false))
        {
            model.Fit(train, new FitOptions { Epochs = 2, Seed = 1 });
        }

        var after = model.Predict(images);
        Assert.False(after.allclose(before), "Fit with the file's compile settings did not change the model.");
        var path = Path.Combine(Path.GetTempPath(), $"convviz-keras-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            using var loaded = Model.Load(path);
            Assert.True(loaded.Predict(images).equal(after).all().item<bool>());
            Assert.Equal(OptimizerKind.RmsProp, loaded.Compilation!.Optimizer.Kind);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add((logLevel, formatter(state, exception)));
    }
}
