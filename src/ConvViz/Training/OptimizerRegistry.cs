// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using ConvViz.Models;

namespace ConvViz.Training;

/// <summary>
/// Keeps each model's optimizer (Keras' <c>model.optimizer</c>) so that its state carries over between <c>Fit</c>
/// calls; a new <see cref="Model.Compile(CompileOptions)"/> starts a fresh one.
/// </summary>
internal static class OptimizerRegistry
{
    private static readonly ConditionalWeakTable<Model, Slot> s_slots = [];

    public static KerasOptimizer Get(Model model, CompileOptions compilation)
    {
        var slot = s_slots.GetOrCreateValue(model);
        lock (slot)
        {
            if (slot.Optimizer is null || !ReferenceEquals(slot.Compilation, compilation))
            {
                slot.Optimizer?.Dispose();
                slot.Optimizer = new KerasOptimizer(compilation.Optimizer, model.Module.parameters());
                slot.Compilation = compilation;
            }

            return slot.Optimizer;
        }
    }

    private sealed class Slot
    {
        public CompileOptions? Compilation { get; set; }

        public KerasOptimizer? Optimizer { get; set; }
    }
}
