// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using Microsoft.Extensions.Logging;

namespace ConvViz.Models;

/// <summary>Log messages of models (event ids 400–499).</summary>
internal static partial class ModelLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "The model has no Preprocessing: image files are only resized to {InputShape} and keep pixel values 0-255, with no rescaling or standardisation. If it was trained on rescaled images, set model.Preprocessing = train.Preprocessing (Fit does this when the model has none) and save the model again")]
    public static partial void NoPreprocessing(ILogger logger, string inputShape);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "'{Source}' was loaded without its compile settings: {Reason}. Call model.Compile(...) before Fit")]
    public static partial void CompileSettingsNotImported(ILogger logger, string source, string reason);

    [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "'{Source}': compiled with the file's settings (loss {Loss}, optimizer {Optimizer}); the optimizer's state is not imported")]
    public static partial void CompileSettingsImported(ILogger logger, string source, Loss loss, OptimizerKind optimizer);
}
