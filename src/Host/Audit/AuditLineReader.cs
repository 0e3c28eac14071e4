namespace Biathlon.Host.Audit;

/// <summary>
/// Splits a stream into newline-terminated lines without decoding them. Bytes after the last newline are the
/// <see cref="TornTailLength"/>: the writer ends every record with a newline, so only an interrupted write leaves them.
/// </summary>
internal sealed class AuditLineReader
{
    /// <summary>
    /// The longest line read; far above what the writer produces (<see cref="AuditRecordSerializer.MaxRecordBytes"/>
    /// plus the seal), so that a file of garbage without newlines cannot exhaust memory.
    /// </summary>
    public const int MaxLineBytes = 16 << 20;

    private readonly Stream _stream;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _endOfStream;

    public AuditLineReader(Stream stream) => _stream = stream;

    /// <summary>Bytes from the start of the stream to the end of the last line returned, its newline included.</summary>
    public long CompleteLength { get; private set; }

    /// <summary>Bytes after the last newline, once <see cref="Read"/> has returned <see cref="AuditLineRead.End"/>.
    /// </summary>
    public int TornTailLength => _endOfStream ? _end - _start : 0;

    /// <summary>
    /// Reads the next line, without its newline, into <paramref name="line"/>: valid until the next call.
    /// </summary>
    public AuditLineRead Read(out ReadOnlySpan<byte> line)
    {
        var searchFrom = _start;
        while (true)
        {
            var newline = _buffer.AsSpan(searchFrom, _end - searchFrom).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var lineEnd = searchFrom + newline;
                line = _buffer.AsSpan(_start, lineEnd - _start);
                CompleteLength += lineEnd + 1 - _start;
                _start = lineEnd + 1;
                return AuditLineRead.Line;
            }

            line = default;
            if (_endOfStream)
            {
                return AuditLineRead.End;
            }

            if (_end - _start >= MaxLineBytes)
            {
                return AuditLineRead.TooLong;
            }

            var searched = _end - _start;
            Fill();
            searchFrom = _start + searched;
        }
    }

    /// <summary>Moves the unread bytes to the front, grows the buffer when they fill it, and reads more.</summary>
    private void Fill()
    {
        var unread = _end - _start;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, unread).CopyTo(_buffer);
            _start = 0;
            _end = unread;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineBytes + 1));
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _endOfStream = true;
        }

        _end += read;
    }
}

/// <summary>What <see cref="AuditLineReader.Read"/> found.</summary>
internal enum AuditLineRead
{
    /// <summary>A complete line.</summary>
    Line,

    /// <summary>No more complete lines; <see cref="AuditLineReader.TornTailLength"/> says what is left.</summary>
    End,

    /// <summary>A line of <see cref="AuditLineReader.MaxLineBytes"/> or more: not one the writer wrote.</summary>
    TooLong,
}
