// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>What <c>Fit</c> prints while it trains (Keras' <c>verbose</c>).</summary>
public enum TrainingVerbosity
{
    /// <summary>
    /// Keras' <c>verbose = "auto"</c>: when <see cref="FitOptions.Progress"/> is set, nothing is printed (the user's
    /// receiver shows progress); otherwise a <see cref="ProgressBar"/> when the output is an interactive console and
    /// <see cref="OneLinePerEpoch"/> when it is redirected (a file, a pipe, a CI log).
    /// </summary>
    Auto = 0,

    /// <summary>Nothing is printed (Keras' <c>verbose = 0</c>).</summary>
    Silent,

    /// <summary>A progress bar redrawn in place after every batch, with ETA and running metrics, and a final line per epoch (Keras' <c>verbose = 1</c>).</summary>
    ProgressBar,

    /// <summary>One line per epoch with its time and metrics, and no carriage returns (Keras' <c>verbose = 2</c>); suits logs.</summary>
    OneLinePerEpoch,
}
