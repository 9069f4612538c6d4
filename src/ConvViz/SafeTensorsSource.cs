// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;

namespace ConvViz;

/// <summary>Random-access reads over the bytes of a safetensors file: a file, or a stream from its current position.</summary>
internal abstract class SafeTensorsSource : IDisposable
{
    /// <summary>Gets the number of bytes.</summary>
    public abstract long Length { get; }

    /// <summary>Opens the file at <paramref name="path"/> for reading (shared read access).</summary>
    public static SafeTensorsSource FromFile(string path) =>
        new FileSource(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read));

    /// <summary>
    /// Reads <paramref name="stream"/> from its current position. A seekable stream is read in place (its remaining
    /// length is the file's) and is left at its end when the source is disposed; a non-seekable one is first copied
    /// to memory, refused with <paramref name="tooLarge"/> as soon as it holds more than <paramref name="maxBytes"/>.
    /// The stream is not closed.
    /// </summary>
    public static SafeTensorsSource FromStream(Stream stream, long maxBytes, Func<string> tooLarge)
    {
        if (stream.CanSeek)
        {
            return new StreamSource(stream, seekToEndOnDispose: true);
        }

        var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new InvalidDataException(tooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        return new StreamSource(buffer, seekToEndOnDispose: false);
    }

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; 0 at the end.</summary>
    public abstract int Read(Span<byte> buffer, long offset);

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    /// <exception cref="InvalidDataException">The source ends first (the file is truncated).</exception>
    public void ReadExactly(Span<byte> buffer, long offset)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = Read(buffer[done..], offset + done);
            if (read == 0)
            {
                throw new InvalidDataException($"the file ended at byte {offset + done:N0} while {buffer.Length - done:N0} more bytes were expected; it is truncated");
            }

            done += read;
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    private sealed class FileSource(SafeFileHandle handle) : SafeTensorsSource
    {
        public override long Length => RandomAccess.GetLength(handle);

        public override int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle, buffer, offset);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>A seekable stream, from the position it had when reading started.</summary>
    private sealed class StreamSource : SafeTensorsSource
    {
        [SuppressMessage("Reliability", "CA2213:Disposable fields should be disposed", Justification = "The caller owns the stream; the source only reads it.")]
        private readonly Stream _stream;
        private readonly long _start;
        private readonly bool _seekToEndOnDispose;

        public StreamSource(Stream stream, bool seekToEndOnDispose)
        {
            _stream = stream;
            _start = stream.Position;
            _seekToEndOnDispose = seekToEndOnDispose;
            Length = Math.Max(0, stream.Length - _start);
        }

        public override long Length { get; }

        public override int Read(Span<byte> buffer, long offset)
        {
            if (offset >= Length)
            {
                return 0;
            }

            _stream.Position = _start + offset;
            return _stream.Read(buffer[..(int)Math.Min(buffer.Length, Length - offset)]);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _seekToEndOnDispose)
            {
                _stream.Seek(0, SeekOrigin.End);
            }
        }
    }
}
