// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Data;
using ConvViz.Models;

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
    private int _pass;
    private int _offset;
    private int _skip;

    public BatchCursor(IBatchSource source, int firstPass, CancellationToken cancellationToken)
    {
        _source = source;
        _pass = firstPass;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Gets where the cursor stands: the next batch is batch <c>Offset</c> of pass <c>Pass</c>.</summary>
    public CursorPosition Position => new(_pass, _offset + _skip);

    /// <summary>Ends the current pass; the next batch comes from pass <paramref name="pass"/>.</summary>
    public void Restart(int pass)
    {
        Release();
        _pass = pass;
        _offset = 0;
        _skip = 0;
    }

    /// <summary>
    /// Ends the current pass; the next batch is batch <see cref="CursorPosition.Offset"/> of the pass (the batches
    /// before it are drawn and discarded when that pass starts, so augmentation and order match an uninterrupted run).
    /// A position at the end of a pass (<paramref name="batchesPerPass"/> batches drawn) moves to the start of the next.
    /// </summary>
    public void Seek(CursorPosition position, int batchesPerPass)
    {
        if (position.Offset >= batchesPerPass)
        {
            Restart(position.Pass + 1);
            return;
        }

        Restart(position.Pass);
        _skip = position.Offset;
    }

    /// <summary>Returns the next batch (the caller owns it), starting a new pass when the current one ends.</summary>
    /// <exception cref="InvalidOperationException">The source yields no batches at all.</exception>
    public Batch Next()
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            _enumerator ??= _source.GetBatches(_pass, _cancellationToken).GetEnumerator();
            while (_skip > 0)
            {
                if (!_enumerator.MoveNext())
                {
                    break;
                }

                _enumerator.Current.Dispose();
                _skip--;
                _offset++;
            }

            if (_skip == 0 && _enumerator.MoveNext())
            {
                _offset++;
                return _enumerator.Current;
            }

            Release();
        }

        throw new InvalidOperationException(
            $"The batch source {_source.GetType().Name} yielded no batches (it reports {_source.SampleCount} samples in {_source.BatchesPerEpoch} batches).");
    }

    /// <summary>Ends the current pass (if one was started) and frees its enumerator; the next batch comes from the next pass.</summary>
    public void Release()
    {
        var enumerator = _enumerator;
        if (enumerator is null)
        {
            return;
        }

        _enumerator = null;
        _pass++;
        _offset = 0;
        _skip = 0;
        enumerator.Dispose();
    }

    public void Dispose() => Release();
}
