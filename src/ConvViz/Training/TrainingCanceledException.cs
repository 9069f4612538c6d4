// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>
/// Thrown by <c>Fit</c> when its cancellation token is cancelled. It is an <see cref="OperationCanceledException"/>
/// (so <c>catch (OperationCanceledException)</c> and cancelled tasks work as usual) that also carries the
/// <see cref="History"/> of the epochs that completed before cancellation.
/// </summary>
public sealed class TrainingCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception with an empty history.</summary>
    public TrainingCanceledException()
        : this("Training was cancelled.")
    {
    }

    /// <summary>Creates the exception with a message and an empty history.</summary>
    /// <param name="message">The message.</param>
    public TrainingCanceledException(string message)
        : base(message)
    {
        History = new TrainingHistory(0, 0, 0);
    }

    /// <summary>Creates the exception with a message, a cause and an empty history.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TrainingCanceledException(string message, Exception innerException)
        : base(message, innerException)
    {
        History = new TrainingHistory(0, 0, 0);
    }

    internal TrainingCanceledException(TrainingHistory history, OperationCanceledException innerException, CancellationToken token)
        : base($"Training was cancelled after {history.Count} complete epoch(s); the History property holds them. The model and its optimizer are consistent and usable.", innerException, token)
    {
        History = history;
    }

    /// <summary>Gets the history of the epochs that completed before cancellation (possibly empty).</summary>
    public TrainingHistory History { get; }
}
