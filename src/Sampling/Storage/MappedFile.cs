using System.Buffers;
using System.IO.MemoryMappedFiles;
using Biathlon.Sampling.Errors;

namespace Biathlon.Sampling.Storage;

/// <summary>
/// A read-only memory-mapped file exposed as <see cref="Memory{T}"/>, so Arrow's readers can slice column buffers
/// straight out of the page cache with no copy. Spans taken from it are invalid once it is disposed.
/// </summary>
internal sealed unsafe class MappedFile : MemoryManager<byte>
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private readonly int _length;

    public MappedFile(string path)
    {
        var length = new FileInfo(path).Length;
        if (length > int.MaxValue)
        {
            throw new DataSourceException(path, $"'{path}' is {length} bytes; files over 2 GiB are not mapped (save with fewer rows per layout file).");
        }

        _length = (int)length;
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + _view.PointerOffset;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
