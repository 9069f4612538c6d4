// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;

namespace ConvViz.Training;

/// <summary>
/// Draws batches from a source pass after pass, like a Keras generator: when a pass ends the next one (with the next
/// pass number, hence the next shuffle order) starts.
/// </summary>
/// <remarks>
/// A source's enumerator may hold a TorchSharp dispose scope open between batches, so the cursor is only advanced
/// and released outside the trainer's own scopes, and <see cref="Release"/> is called before another source is read.
/// </remarks>
internal sealed class BatchCursor : IDisposable
{
    private readonly IBatchSource _source;
    private readonly CancellationToken _cancellationToken;
    private IEnumerator<Batch>? _enumerator;
    private int _nextPass;

    public BatchCursor(IBatchSource source, int firstPass, CancellationToken cancellationToken)
    {
        _source = source;
        _nextPass = firstPass;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Ends the current pass; the next batch comes from pass <paramref name="pass"/>.</summary>
    public void Restart(int pass)
    {
        Release();
        _nextPass = pass;
    }

    /// <summary>Returns the next batch (the caller owns it), starting a new pass when the current one ends.</summary>
    /// <exception cref="InvalidOperationException">The source yields no batches at all.</exception>
    public Batch Next()
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            _enumerator ??= _source.GetBatches(_nextPass++, _cancellationToken).GetEnumerator();
            if (_enumerator.MoveNext())
            {
                return _enumerator.Current;
            }

            Release();
        }

        throw new InvalidOperationException(
            $"The batch source {_source.GetType().Name} yielded no batches (it reports {_source.SampleCount} samples in {_source.BatchesPerEpoch} batches).");
    }

    /// <summary>Ends the current pass and frees its enumerator.</summary>
    public void Release()
    {
        var enumerator = _enumerator;
        _enumerator = null;
        enumerator?.Dispose();
    }

    public void Dispose() => Release();
}
