// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>What <see cref="Model.Save(string, ModelSaveOptions)"/> writes besides the architecture, settings and weights.</summary>
public sealed record ModelSaveOptions
{
    /// <summary>
    /// Gets a value indicating whether the training state is saved too (Keras' <c>include_optimizer</c>): the
    /// optimizer's kind, step count, current learning rate and moments, and where the data cursors stopped. A model
    /// loaded from such a file and trained with <c>FitOptions.InitialEpoch</c> set to the next epoch continues exactly
    /// as if training had not stopped (without compiling it again, which starts a fresh optimizer). The moments roughly
    /// double or triple the file size. A model that was never trained has no state to save; the file then has none.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool IncludeTrainingState { get; init; }
}
