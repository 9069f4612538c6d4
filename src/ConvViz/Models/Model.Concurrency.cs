// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

public sealed partial class Model
{
    private readonly Lock _useLock = new();
    private int _trainingThread;
    private int _trainingDepth;
    private int _inferenceCount;
    private bool _inferenceWasTraining;

    /// <summary>
    /// Marks the model as trained by the calling thread (Fit, Evaluate) until the lease is disposed. Re-entrant on the
    /// same thread (Evaluate inside Fit). Inference on the same thread, such as a callback calling Predict, stays allowed.
    /// </summary>
    /// <param name="operation">The operation's name for error messages.</param>
    /// <returns>The lease; dispose it when the operation ends.</returns>
    /// <exception cref="InvalidOperationException">Another thread is training or predicting with this model.</exception>
    internal TrainingLease BeginTraining(string operation)
    {
        var current = Environment.CurrentManagedThreadId;
        lock (_useLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_trainingThread != 0 && _trainingThread != current)
            {
                throw new InvalidOperationException(
                    $"{operation} was called while the model is being trained or evaluated on another thread. A model runs one Fit or Evaluate at a time and its " +
                    "weights and training mode change during it; wait for it to finish, or train a separate model (Model.Load a saved copy).");
            }

            if (_inferenceCount > 0)
            {
                throw new InvalidOperationException(
                    $"{operation} was called while Predict runs on another thread with this model. Training changes the weights and the training mode " +
                    "that prediction relies on; wait for the predictions to finish first.");
            }

            _trainingThread = current;
            _trainingDepth++;
        }

        return new TrainingLease(this);
    }

    /// <summary>
    /// Puts the model in evaluation mode for inference and restores its training mode when the last concurrent
    /// inference ends. Concurrent inference from several threads is safe; inference on another thread than a running
    /// Fit is refused.
    /// </summary>
    /// <param name="operation">The operation's name for error messages.</param>
    /// <returns>The lease; dispose it when the inference ends.</returns>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    internal InferenceLease BeginInference(string operation)
    {
        var current = Environment.CurrentManagedThreadId;
        lock (_useLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_trainingThread == current)
            {
                // A callback of this thread's Fit: no other thread can use the model meanwhile.
                var wasTraining = _network.training;
                _network.eval();
                return new InferenceLease(this, nested: true, wasTraining);
            }

            ThrowIfTrainingElsewhere(operation, current);
            if (_inferenceCount++ == 0)
            {
                _inferenceWasTraining = _network.training;
                _network.eval();
            }
        }

        return new InferenceLease(this, nested: false, wasTraining: false);
    }

    /// <summary>Throws when another thread is training the model (for readers of the weights such as Save).</summary>
    /// <param name="operation">The operation's name for error messages.</param>
    /// <exception cref="InvalidOperationException">Another thread is training the model.</exception>
    internal void ThrowIfTrainingOnAnotherThread(string operation)
    {
        lock (_useLock)
        {
            ThrowIfTrainingElsewhere(operation, Environment.CurrentManagedThreadId);
        }
    }

    private void ThrowIfTrainingElsewhere(string operation, int current)
    {
        if (_trainingThread != 0 && _trainingThread != current)
        {
            throw new InvalidOperationException(
                $"{operation} was called while Fit or Evaluate runs on another thread with this model; the weights and the training mode are changing. " +
                "Call it after Fit returns, or from a training callback (which runs on the training thread).");
        }
    }

    private void EndTraining()
    {
        lock (_useLock)
        {
            if (--_trainingDepth == 0)
            {
                _trainingThread = 0;
            }
        }
    }

    private void EndInference(bool nested, bool wasTraining)
    {
        lock (_useLock)
        {
            if (nested)
            {
                _network.train(wasTraining);
            }
            else if (--_inferenceCount == 0)
            {
                _network.train(_inferenceWasTraining);
            }
        }
    }

    /// <summary>Ends a training operation's exclusive use of a model.</summary>
    internal readonly struct TrainingLease(Model model) : IDisposable
    {
        public void Dispose() => model.EndTraining();
    }

    /// <summary>Ends one inference and restores the training mode after the last one.</summary>
    internal readonly struct InferenceLease(Model model, bool nested, bool wasTraining) : IDisposable
    {
        public void Dispose() => model.EndInference(nested, wasTraining);
    }
}
