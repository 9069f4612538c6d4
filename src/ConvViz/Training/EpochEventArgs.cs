// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>What a callback receives at the start and the end of an epoch (<see cref="Callback.OnEpochBegin"/>, <see cref="Callback.OnEpochEnd"/>).</summary>
public sealed class EpochEventArgs : TrainingEventArgs
{
    /// <summary>Gets the 0-based epoch index (Keras' numbering; progress displays show <see cref="Epoch"/> + 1).</summary>
    public required int Epoch
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Epoch));
            field = value;
        }
    }
}
