// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>What a callback receives before and after a training batch (<see cref="Callback.OnBatchBegin"/>, <see cref="Callback.OnBatchEnd"/>).</summary>
public sealed class BatchEventArgs : TrainingEventArgs
{
    /// <summary>Gets the 0-based index of the epoch the batch belongs to.</summary>
    public required int Epoch
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Epoch));
            field = value;
        }
    }

    /// <summary>Gets the 0-based batch index within the epoch.</summary>
    public required int Batch
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Batch));
            field = value;
        }
    }
}
