// Chunk buffers on the hot path are stackalloc'd and always written before they are read: skip zeroing them.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
