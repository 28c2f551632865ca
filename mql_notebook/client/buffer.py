"""The video in memory in one copy: the body written into the ``bytes`` object handed back.

``download()`` promises ``bytes``, and a ``bytes`` cannot be made from a ``bytearray`` (or a
list of chunks) without copying the whole video once more, which doubles the peak (a 300 MB
video peaked at +575 MiB, BENCHMARKS.md section 2). So when the size is known
(``Content-Length``, or ``Content-Range`` on a resume) the buffer *is* the result: a fresh
``bytes`` of that size made by the C API's ``PyBytes_FromStringAndSize(NULL, n)``, whose
contents are documented as uninitialised and meant to be filled before the object is shared,
written through a memoryview onto its storage, and handed out once full. Nothing else holds it
until then, and its hash is not computed before it is complete. Its pages become resident as
they are written, so memory grows with the body, never above one copy.

When the size is unknown (a chunked body), or off CPython, the body goes into a ``bytearray``
grown as it arrives, and ``take()`` makes the one final ``bytes`` copy.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

PREALLOCATE_BYTES = 1 << 16  # below this the final copy costs nothing worth saving


@functools.cache
def _allocator() -> Callable[[int], tuple[bytes, memoryview]] | None:
    """How to make an uninitialised ``bytes`` of n bytes and a writable view on its storage."""
    if sys.implementation.name != "cpython":
        return None
    import ctypes  # only on the first download to bytes (about 2 ms)

    api = ctypes.pythonapi
    new = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_char_p, ctypes.c_ssize_t)(
        ("PyBytes_FromStringAndSize", api)
    )
    address = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object)(("PyBytes_AsString", api))

    def allocate(size: int) -> tuple[bytes, memoryview]:
        data = new(None, size)
        storage = (ctypes.c_ubyte * size).from_address(address(data))
        return data, memoryview(storage).cast("B")

    return allocate


class ByteBuffer:
    """Bytes written in order (``write``), sized once the total is known (``reserve``), taken
    whole at the end (``take``) without a copy where the size was known in advance."""

    def __init__(self) -> None:
        self.size = 0
        self._data: bytes | None = None  # the preallocated result, filled through _view
        self._view: memoryview | None = None
        self._grown = bytearray()  # the body when no size was known (or it overflowed)

    @property
    def preallocated(self) -> bool:
        return self._view is not None

    def reserve(self, total: int | None) -> None:
        """Make room for a body of ``total`` bytes in all (None: unknown, grow as it comes)."""
        if total is None or total < PREALLOCATE_BYTES or self._view is not None:
            return
        if total < self.size:
            return
        allocate = _allocator()
        if allocate is None:
            return
        self._data, self._view = allocate(total)
        if self.size:  # a resume after a first answer without a size: move what came
            self._view[: self.size] = self._grown
        self._grown = bytearray()

    def write(self, chunk: bytes) -> None:
        end = self.size + len(chunk)
        view = self._view
        if view is not None:
            if end <= len(view):
                view[self.size : end] = chunk
                self.size = end
                return
            self._spill()  # more than announced: the caller's size check stops it next
        self._grown += chunk
        self.size = end

    def reset(self) -> None:
        """Start over (the server sent the whole file again); the room reserved stays."""
        self.size = 0
        self._grown = bytearray()

    def take(self) -> bytes:
        """The body as ``bytes``: the preallocated object itself when it was filled exactly."""
        if self._view is not None:
            data = self._data
            assert data is not None
            self._release()
            return data if self.size == len(data) else data[: self.size]
        data = bytes(self._grown)
        self._grown = bytearray()
        return data

    def clear(self) -> None:
        self._release()
        self._grown = bytearray()
        self.size = 0

    def _spill(self) -> None:
        assert self._view is not None
        self._grown = bytearray(self._view[: self.size])
        self._release()

    def _release(self) -> None:
        if self._view is not None:
            self._view.release()
        self._view = None
        self._data = None
