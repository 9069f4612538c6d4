// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Security.Cryptography;
using ConvViz.Imaging;
using ConvViz.Models;
using static TorchSharp.torch;

namespace ConvViz.Tests.Models;

/// <summary>
/// The bytes a save writes are part of the format: a refactoring of the writer must not change them. The hashes were
/// computed by the writer as it was before the safetensors container was split out of <c>ModelFile</c>.
/// </summary>
public sealed class ModelFileBytesTests
{
    [Fact]
    public void The_blog_model_saves_to_the_same_bytes_as_before()
    {
        using var model = SeededBlogModel();

        Assert.Equal("82133e4d3292f29fe7e969ba58fdc238dc531ee71a2243a99cd208e6b12f5985", Sha256(model, new ModelSaveOptions()));
    }

    [Fact]
    public void The_blog_model_with_its_training_state_saves_to_the_same_bytes_as_before()
    {
        using var model = SeededBlogModel();
        var state = model.TrainingState.GetOrCreate(model, model.Compilation!);
        using (no_grad())
        {
            for (var p = 0; p < state.Slots.Length; p++)
            {
                for (var s = 0; s < state.Slots[p].Length; s++)
                {
                    using var values = rand(state.Slots[p][s].shape, generator: new Generator((ulong)(100 + (10 * p) + s)));
                    state.Slots[p][s].copy_(values);
                }
            }
        }

        state.Iterations = 7;
        state.LearningRate = 0.0005;
        model.TrainingState.Position = new TrainingPosition(3, 10, new CursorPosition(1, 4), null, null);

        Assert.Equal("5db4456a39522938d6a310d492ab059a1aae25157d299d17c5604afe50c1047d", Sha256(model, new ModelSaveOptions { IncludeTrainingState = true }));
    }

    private static Model SeededBlogModel()
    {
        var model = BlogModel.CreateBuilder().WithSeed(2024).Build();
        model.Compile(Loss.SparseCategoricalCrossentropy, OptimizerOptions.Adam(0.001), Metric.Accuracy);
        model.Preprocessing = new ImagePreprocessing { TargetHeight = 150, TargetWidth = 150, ColorMode = ColorMode.Rgb, Rescale = 1.0 / 255 };
        model.ClassNames = ["cat", "dog"];
        return model;
    }

    private static string Sha256(Model model, ModelSaveOptions options)
    {
        using var stream = new MemoryStream();
        model.Save(stream, options);
        return Convert.ToHexStringLower(SHA256.HashData(stream.ToArray()));
    }
}
