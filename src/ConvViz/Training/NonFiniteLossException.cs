// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Training;

/// <summary>
/// Thrown by <c>Fit</c> when a batch's loss is NaN or infinite and no callback (such as <see cref="TerminateOnNaN"/>)
/// stopped training. The bad batch's update is not applied, so the weights are those before it.
/// </summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException()
        : this("The loss is not finite.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public NonFiniteLossException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public NonFiniteLossException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal NonFiniteLossException(int epoch, int batch, double loss)
        : this(FormattableString.Invariant(
            $"The loss became {loss} at epoch {epoch + 1} (index {epoch}), batch {batch + 1}. The update of that batch was not applied. ") +
            "Lower the learning rate, check the data for NaN/Inf values and that the targets match the loss " +
            "(for example probabilities in [0, 1] for the cross-entropies), or add a TerminateOnNaN callback to stop quietly instead.")
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
    }

    /// <summary>Gets the 0-based epoch index of the bad batch.</summary>
    public int Epoch { get; }

    /// <summary>Gets the 0-based batch index within the epoch.</summary>
    public int Batch { get; }

    /// <summary>Gets the loss value (NaN or ±∞).</summary>
    public double Loss { get; }
}
