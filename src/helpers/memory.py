"""Give freed memory back to the operating system between the large steps of a run.

Both allocators behind the data keep freed pages for reuse: pyarrow's pool (the CSV reader) and,
on Linux, glibc's heap (numpy arrays below its mmap threshold, e.g. the work arrays of a block of
subjects). Between steps that free gigabytes, handing those pages back keeps the peak resident
memory of a large run close to the data it holds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

import pyarrow as pa


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:
    """glibc's malloc_trim, or None where the C library has none (macOS, musl, Windows)."""
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    return getattr(library, "malloc_trim", None)


def release_freed_memory() -> None:
    """Return the freed pages of pyarrow's pool and of the C heap to the operating system."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
